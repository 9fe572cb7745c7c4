"""dspy's own signature classes, read into a dspex :class:`~dspex_core.Signature` by their attributes.

A dspy user's first attempt is ``dspex.Predict.create(FactQA)`` with the ``dspy.Signature`` class
they already have. The core must not import dspy (nor pydantic, which dspy's fields are), so the
class is read by duck typing, through the attributes dspy 3.4 gives every signature class:

* ``input_fields`` / ``output_fields``: ordered mappings of field name to a pydantic ``FieldInfo``
  (on the class, through dspy's metaclass; an *instance* of a dspy signature is read through its
  class);
* each ``FieldInfo``'s ``annotation`` (the field's type, passed on unchanged) and
  ``json_schema_extra``, where dspy keeps ``__dspy_field_type`` (``"input"``/``"output"``),
  ``desc``, ``prefix`` (filled in with its defaults ``${name}`` and ``Name:`` when the author gave
  none, which read back as "not given", as dspex's own fields say it) and ``IS_TYPE_UNDEFINED``
  (a field written without a type);
* constraints in the ``FieldInfo``'s ``metadata`` (``annotated_types``' ``Ge(ge=...)``, ...) and a
  default (``is_required()``, ``default``, ``default_factory``), kept as the ``extra`` options a
  dspex field holds (``ge=``, ``default=``, ...), so each backend applies its own rule to them;
* ``instructions``: the docstring cleaned as dspy reads it (DSPy's default sentence when none).

Something shaped half like that (a field without ``__dspy_field_type``, without an annotation) is
a :class:`~dspex_core.errors.SignatureError` naming the field and what it lacks.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core._fields import RESERVED_NAMES, Field, infer_prefix
from dspex_core._types import TypeParseError, check_annotation
from dspex_core.errors import SignatureError

__all__ = ["is_dspy_signature", "from_dspy_signature"]

_FIELD_TYPE = "__dspy_field_type"
_TYPE_UNDEFINED = "IS_TYPE_UNDEFINED"
#: What dspy keeps in ``json_schema_extra`` that a dspex field holds elsewhere (or derives): read
#: into ``desc``/``prefix``/``type_given``, or (``constraints``) text dspy derives from the
#: constraints themselves, which are read from the field's metadata instead.
_READ_APART = frozenset({_FIELD_TYPE, _TYPE_UNDEFINED, "desc", "prefix", "constraints"})
#: The constraint options of a pydantic field that DSPy describes in prompts (its
#: ``PYDANTIC_CONSTRAINT_MAP``), by the attribute that holds each on its metadata object.
_CONSTRAINTS = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "allow_inf_nan")
#: The class name dspy gives a signature made from a string or a dict of fields.
_STRING_MADE = "StringSignature"


def _signature_class(value: Any) -> Any:
    return value if isinstance(value, type) else type(value)


def is_dspy_signature(value: Any) -> bool:
    """Whether ``value`` is shaped like a dspy signature class (or an instance of one): its class
    has ``input_fields`` and ``output_fields`` mappings (dspex's own signatures are told apart
    before this is asked)."""
    cls = _signature_class(value)
    try:
        return (isinstance(getattr(cls, "input_fields", None), Mapping)
                and isinstance(getattr(cls, "output_fields", None), Mapping))
    except Exception:  # a property of some other class that fails when read on the class
        return False


def from_dspy_signature(value: Any) -> tuple[dict[str, Field], dict[str, Field], str]:
    """``(inputs, outputs, instructions)`` of a dspy-shaped signature class (or instance), for
    :meth:`Signature.coerce <dspex_core.Signature.coerce>` (which tells DSPy's default sentence
    from written instructions)."""
    cls = _signature_class(value)
    owner = getattr(cls, "__name__", repr(cls))
    inputs = {name: _field(owner, name, "input", info, cls) for name, info in cls.input_fields.items()}
    outputs = {name: _field(owner, name, "output", info, cls) for name, info in cls.output_fields.items()}
    both = inputs.keys() & outputs.keys()
    if both:
        raise SignatureError(f"{owner}: {sorted(both)} cannot be both an input and an output", rule="distinct-names")
    return inputs, outputs, _instructions(owner, cls)


def _instructions(owner: str, cls: Any) -> str:
    instructions = getattr(cls, "instructions", None)
    if instructions is None:  # dspy's metaclass cleans the docstring; a shape without it is read alike
        from dspex_core._text import cleandoc

        instructions = cleandoc(getattr(cls, "__doc__", None) or "")
    if not isinstance(instructions, str):
        raise SignatureError(f"{owner}: the instructions of a dspy signature are a string (its docstring), got "
                             f"{type(instructions).__name__}")
    return instructions


def _field(owner: str, name: Any, kind: str, info: Any, cls: Any) -> Field:
    where = f"{owner}.{name}"
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name in RESERVED_NAMES:
        raise SignatureError(f"{where}: {name!r} cannot be a field name: use an identifier that does not start "
                             f"with '_' and is not one of {', '.join(sorted(RESERVED_NAMES))}", rule="identifier")
    extra = getattr(info, "json_schema_extra", None)
    if not isinstance(extra, Mapping) or _FIELD_TYPE not in extra:
        raise SignatureError(f"{where}: the field has no {_FIELD_TYPE!r} in its json_schema_extra, so whether it "
                             f"is an input or an output is not known; declare it with dspy.InputField() or "
                             f"dspy.OutputField()", rule="field-declaration")
    if extra[_FIELD_TYPE] != kind:
        raise SignatureError(f"{where}: listed among the {kind} fields, but its {_FIELD_TYPE} is "
                             f"{extra[_FIELD_TYPE]!r}", rule="field-declaration")
    if not hasattr(info, "annotation"):
        raise SignatureError(f"{where}: the field has no 'annotation' (its type)", rule="type")
    annotation = info.annotation
    try:
        check_annotation(annotation)  # the rules a dspex class-based signature's types follow
    except TypeParseError as exc:
        raise SignatureError(f"{where}: {exc}", rule="type") from None
    desc, prefix = extra.get("desc"), extra.get("prefix")
    for label, text in (("desc", desc), ("prefix", prefix)):
        if text is not None and not isinstance(text, str):
            raise SignatureError(f"{where}: its {label} must be a string, got {type(text).__name__}", rule="field")
    if desc == f"${{{name}}}":
        desc = None  # dspy's default, filled in for a field given none
    if prefix == infer_prefix(name) + ":":
        prefix = None
    marked_untyped = bool(extra.get(_TYPE_UNDEFINED, False))
    # dspy marks a field written without a type; from a string, though, it marks inputs only, and an
    # output it made `str` reads back as untyped (`question -> answer`, as the author wrote it).
    type_given = not marked_untyped and not (kind == "output" and annotation is str
                                             and getattr(cls, "__name__", None) == _STRING_MADE)
    options = {k: v for k, v in extra.items() if k not in _READ_APART}
    options.update(_constraints(info))
    options.update(_default(info))
    return Field(name, kind, annotation, desc, prefix, type_given, options)


def _constraints(info: Any) -> dict[str, Any]:
    """``ge=``, ``max_length=``, ...: pydantic keeps them as small objects in ``FieldInfo.metadata``
    (``annotated_types.Ge(ge=1)``), each holding its value under the option's own name."""
    out: dict[str, Any] = {}
    for item in getattr(info, "metadata", None) or ():
        for option in _CONSTRAINTS:
            value = getattr(item, option, None)
            if value is not None:
                out[option] = value
    return out


def _default(info: Any) -> dict[str, Any]:
    """A field's default, when it has one (``is_required()`` is pydantic's own answer)."""
    is_required = getattr(info, "is_required", None)
    if not callable(is_required) or is_required():
        return {}
    factory = getattr(info, "default_factory", None)
    return {"default_factory": factory} if factory is not None else {"default": getattr(info, "default", None)}
