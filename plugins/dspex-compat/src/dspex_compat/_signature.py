"""DSPy's ``Signature``: a signature is a *class*, made from a class statement or a string.

``dspy.Signature("question -> answer")`` returns a new class; ``class QA(dspy.Signature)``
declares one with :func:`~dspex_compat._fields.InputField` / ``OutputField`` attributes. The
class API is DSPy 3.4's (``input_fields``, ``output_fields``, ``fields``, ``instructions``,
``signature``, ``with_instructions``, ``append``, ``insert``, ``delete``, ``with_updated_fields``,
``equals``, ``dump_state``/``load_state``), without pydantic: the metaclass keeps the fields in
``model_fields``. Strings are parsed by dspex's own parser; a predictor hands the class to dspex,
which reads it as it reads any dspy-shaped signature (:meth:`dspex_core.Signature.coerce`), once
per class.
"""

from __future__ import annotations

import sys
import types
import typing
from copy import deepcopy
from typing import Any

import dspex_core

from dspex_compat._fields import IS_TYPE_UNDEFINED, FieldInfo, InputField, OutputField

__all__ = ["Signature", "SignatureMeta", "make_signature", "ensure_signature", "infer_prefix"]

_FIELD_TYPE = "__dspy_field_type"
_TYPE_KINDS = (type, typing._GenericAlias, types.GenericAlias, typing._SpecialForm, types.UnionType)  # type: ignore[attr-defined]


def _default_instructions(inputs: Any, outputs: Any) -> str:
    return (f"Given the fields {', '.join(f'`{name}`' for name in inputs)}, "
            f"produce the fields {', '.join(f'`{name}`' for name in outputs)}.")


def _cleandoc(doc: str) -> str:
    """``inspect.cleandoc``, as DSPy reads instructions (dspex's, without importing inspect)."""
    from dspex_core.backend import cleandoc

    return cleandoc(doc)


def infer_prefix(attribute_name: str) -> str:
    """DSPy's prefix of a field name: ``snake_case`` / ``camelCase`` to ``Title Case`` (dspex's rule)."""
    from dspex_core.backend import infer_prefix as prefix_of

    return prefix_of(attribute_name)


class SignatureMeta(type):
    """Collects a signature class's fields (in the order written, a base class's first)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Signature:
            custom_types = kwargs.pop("custom_types", None)
            if custom_types is None and args and isinstance(args[0], str):
                custom_types = _caller_types(args[0])
            return make_signature(*args, custom_types=custom_types, **kwargs)
        return super().__call__(*args, **kwargs)

    def __new__(mcs, name: str, bases: tuple, namespace: dict[str, Any], **kwargs: Any) -> "SignatureMeta":
        annotations = dict(namespace.get("__annotations__", {}))
        own: dict[str, FieldInfo] = {}
        for key, value in list(namespace.items()):
            if isinstance(value, FieldInfo):
                field = value._copy()
                if key not in annotations and not key.startswith("__"):
                    annotations[key] = str
                    field.json_schema_extra = {**(field.json_schema_extra or {}), IS_TYPE_UNDEFINED: True}
                own[key] = field
                del namespace[key]
        module_name = namespace.get("__module__")
        for key, annotation in annotations.items():
            if key.startswith("__") or key in own or _is_classvar(annotation):
                continue
            # annotated without InputField/OutputField: pydantic makes it a plain field, which DSPy refuses
            own[key] = FieldInfo(annotation, None)
        for key, field in own.items():
            annotation = annotations.get(key, field.annotation)
            if isinstance(annotation, str):
                annotation = _resolve(annotation, module_name, namespace)
            field.annotation = annotation
        namespace["__annotations__"] = {k: annotations[k] for k in own} | {
            k: v for k, v in annotations.items() if k not in own}
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        fields: dict[str, FieldInfo] = {}
        for base in reversed(cls.__mro__[1:]):
            if isinstance(base, SignatureMeta):
                fields.update({k: v._copy() for k, v in base.__dict__.get("model_fields", {}).items()})
        fields.update(own)
        type.__setattr__(cls, "model_fields", fields)
        if cls.__doc__ is None:
            for base in bases:
                if isinstance(base, SignatureMeta) and getattr(base, "__doc__", ""):
                    type.__setattr__(cls, "__doc__", base.__doc__)
        if cls.__doc__ is None:
            type.__setattr__(cls, "__doc__", _default_instructions(cls.input_fields, cls.output_fields))
        for key, field in fields.items():
            extra = field.json_schema_extra or {}
            if extra.get(_FIELD_TYPE) not in ("input", "output"):
                raise TypeError(f"Field `{key}` in `{name}` must be declared with InputField or OutputField, but "
                                f"field `{key}` has `field.json_schema_extra={field.json_schema_extra}`")
            extra.setdefault("prefix", infer_prefix(key) + ":")
            extra.setdefault("desc", f"${{{key}}}")
        return cls

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "__doc__":
            cls.__dict__.get("_dspex_cache", {}).clear()

    # -- DSPy's class attributes -----------------------------------------------------------
    @property
    def instructions(cls) -> str:
        return _cleandoc(getattr(cls, "__doc__", "") or "")

    @instructions.setter
    def instructions(cls, instructions: str) -> None:
        cls.__doc__ = instructions

    @property
    def input_fields(cls) -> dict[str, FieldInfo]:
        return {k: v for k, v in cls.model_fields.items() if v.json_schema_extra[_FIELD_TYPE] == "input"}

    @property
    def output_fields(cls) -> dict[str, FieldInfo]:
        return {k: v for k, v in cls.model_fields.items() if v.json_schema_extra[_FIELD_TYPE] == "output"}

    @property
    def fields(cls) -> dict[str, FieldInfo]:
        return {**cls.input_fields, **cls.output_fields}

    @property
    def signature(cls) -> str:
        return f"{', '.join(cls.input_fields)} -> {', '.join(cls.output_fields)}"

    def __repr__(cls) -> str:
        if cls is Signature:
            return super().__repr__()
        field_repr = "\n    ".join(f"{name} = Field({field})" for name, field in cls.fields.items())
        return f"{cls.__name__}({cls.signature}\n    instructions={cls.instructions!r}\n    {field_repr}\n)"

    def _dspex(cls) -> dspex_core.Signature:
        """This class as a dspex signature (read once, again after the instructions change)."""
        cache = cls.__dict__.get("_dspex_cache")
        if cache is None:
            cache = {}
            type.__setattr__(cls, "_dspex_cache", cache)
        key = _state_key(cls)
        sig = cache.get(key)
        if sig is None:
            cache.clear()
            sig = cache[key] = dspex_core.Signature.coerce(cls)
        return sig


def _state_key(cls: Any) -> tuple:
    """What a dspex signature is read from: the docstring and each field's options and type."""
    return (cls.__doc__, tuple((k, id(v.annotation), tuple(sorted((a, repr(b)) for a, b in v.json_schema_extra.items())))
                               for k, v in cls.model_fields.items()))


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is typing.ClassVar or typing.get_origin(annotation) is typing.ClassVar


def _resolve(text: str, module_name: str | None, namespace: dict[str, Any]) -> Any:
    """A string annotation (``from __future__ import annotations``) evaluated where it was written."""
    module = sys.modules.get(module_name or "")
    scope = {**typing.__dict__, **(vars(module) if module is not None else {}), **namespace}
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    if frame is not None:
        scope.update(frame.f_globals)
        scope.update(frame.f_locals)
    return eval(text, scope)  # noqa: S307 - the author's own annotation, as typing.get_type_hints does


class Signature(metaclass=SignatureMeta):
    """"""

    # No docstring here: DSPy's base has an empty one, the instructions of a class that has none
    # become DSPy's default sentence.

    def __init__(self, **data: Any):
        for key, value in data.items():
            object.__setattr__(self, key, value)

    @classmethod
    def with_instructions(cls, instructions: str) -> type["Signature"]:
        return Signature(cls.fields, instructions)

    @classmethod
    def append_instructions(cls, instructions: str) -> type["Signature"]:
        return Signature(cls.fields, f"{cls.instructions}\n\n{instructions}")

    @classmethod
    def with_updated_fields(cls, name: str, type_: Any = None, **kwargs: Any) -> type["Signature"]:
        fields_copy = deepcopy(cls.fields)
        fields_copy[name].json_schema_extra = {**fields_copy[name].json_schema_extra, **kwargs}
        if type_ is not None:
            fields_copy[name].annotation = type_
        return Signature(fields_copy, cls.instructions)

    @classmethod
    def prepend(cls, name: str, field: FieldInfo, type_: Any = None) -> type["Signature"]:
        return cls.insert(0, name, field, type_)

    @classmethod
    def append(cls, name: str, field: FieldInfo, type_: Any = None) -> type["Signature"]:
        return cls.insert(-1, name, field, type_)

    @classmethod
    def delete(cls, name: str) -> type["Signature"]:
        fields = dict(cls.fields)
        fields.pop(name, None)
        return Signature(fields, cls.instructions)

    @classmethod
    def insert(cls, index: int, name: str, field: FieldInfo, type_: Any = None) -> type["Signature"]:
        if type_ is None:
            type_ = field.annotation
        if type_ is None:
            type_ = str
        input_fields = list(cls.input_fields.items())
        output_fields = list(cls.output_fields.items())
        kind = field.json_schema_extra[_FIELD_TYPE]
        lst = input_fields if kind == "input" else output_fields
        if index < 0:
            index += len(lst) + 1
        if index < 0 or index > len(lst):
            raise ValueError(f"Invalid index to insert: {index}, index must be in the range of [{len(lst) - 1}, "
                             f"{len(lst)}] for {kind} fields, but received: {index}.")
        lst.insert(index, (name, (type_, field)))
        return Signature(dict(input_fields + output_fields), cls.instructions)

    @classmethod
    def equals(cls, other: Any) -> bool:
        """DSPy's comparison: the instructions and every field's options."""
        if not isinstance(other, SignatureMeta):
            return False
        if cls.instructions != other.instructions:
            return False
        for name in cls.fields.keys() | other.fields.keys():
            if name not in other.fields or name not in cls.fields:
                return False
            if cls.fields[name].json_schema_extra != other.fields[name].json_schema_extra:
                return False
        return True

    @classmethod
    def dump_state(cls) -> dict[str, Any]:
        return {"instructions": cls.instructions,
                "fields": [{"prefix": f.json_schema_extra["prefix"], "description": f.json_schema_extra["desc"]}
                           for f in cls.fields.values()]}

    @classmethod
    def load_state(cls, state: dict[str, Any]) -> type["Signature"]:
        signature_copy = Signature(deepcopy(cls.fields), cls.instructions)
        signature_copy.instructions = state["instructions"]
        for field, saved in zip(signature_copy.fields.values(), state["fields"], strict=False):
            field.json_schema_extra["prefix"] = saved["prefix"]
            field.json_schema_extra["desc"] = saved["description"]
        return signature_copy


def ensure_signature(signature: Any, instructions: str | None = None) -> Any:
    """A signature class from a string (or the class itself); ``None`` stays ``None``."""
    if signature is None:
        return None
    if isinstance(signature, str):
        return Signature(signature, instructions)
    if instructions is not None:
        raise ValueError("Don't specify instructions when initializing with a Signature")
    return signature


def make_signature(signature: Any, instructions: str | None = None, signature_name: str = "StringSignature",
                   custom_types: dict[str, Any] | None = None) -> type[Signature]:
    """A new signature class from ``"a, b -> c"`` or ``{name: (type, field)}`` (DSPy's ``make_signature``)."""
    if isinstance(signature, str):
        fields = _parse(signature, custom_types)
    elif isinstance(signature, dict):
        fields = signature
    else:
        raise ValueError(f"Invalid signature: expected a string or a dict of fields, got {type(signature).__name__}")
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": "dspy.signatures.signature"}
    inputs, outputs = [], []
    for name, type_field in fields.items():
        if not isinstance(name, str):
            raise ValueError(f"Field names must be strings, but received: {name}.")
        if isinstance(type_field, FieldInfo):
            type_, field = type_field.annotation, type_field
        else:
            if not isinstance(type_field, tuple):
                raise ValueError(f"Field values must be tuples, but received: {type_field}.")
            type_, field = type_field
        if type_ is None:
            type_ = str
        if not isinstance(type_, _TYPE_KINDS) and typing.get_origin(type_) is None:
            raise ValueError(f"Field types must be types, but received: {type_} of type {type(type_)}.")
        if not isinstance(field, FieldInfo):
            raise ValueError(f"Field values must be Field instances, but received: {field}.")
        field = field._copy()
        field.annotation = type_
        namespace[name] = field
        namespace["__annotations__"][name] = type_
        (inputs if (field.json_schema_extra or {}).get(_FIELD_TYPE) == "input" else outputs).append(name)
    namespace["__doc__"] = instructions if instructions is not None else _default_instructions(inputs, outputs)
    return SignatureMeta(signature_name, (Signature,), namespace)


def _parse(text: str, custom_types: dict[str, Any] | None) -> dict[str, tuple[Any, FieldInfo]]:
    if text.count("->") != 1:
        raise ValueError(f"Invalid signature format: '{text}', must contain exactly one '->'.")
    try:
        parsed = dspex_core.Signature(text, custom_types=custom_types) if custom_types else dspex_core.Signature(text)
    except dspex_core.SignatureError as exc:
        message = str(exc)
        if "is both an input and an output" in message:
            left, right = text.split("->")
            import re

            names = [set(re.findall(_FIELD_NAME, side)) for side in (left, right)]
            duplicates = ", ".join(sorted(names[0] & names[1]))
            message = f"Input and output fields must have distinct names, but found duplicates: '{duplicates}'."
        raise ValueError(message) from exc
    fields: dict[str, tuple[Any, FieldInfo]] = {}
    for name, field in parsed.input_fields.items():
        fields[name] = (field.annotation, InputField(**{IS_TYPE_UNDEFINED: not field.type_given}))
    for name, field in parsed.output_fields.items():
        fields[name] = (field.annotation, OutputField())
    return fields


_FIELD_NAME = r"(?:^|,)\s*([A-Za-z_]\w*)"
# a name where a type may be written: after the colon, inside brackets (``list[dspy.Tool]``), in a union
_TYPE_NAME = r"[:\[|,]\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"


def _caller_types(text: str) -> dict[str, Any] | None:
    """Types a string signature names that are neither builtins nor typing's, found in the
    caller's frames, as DSPy looks them up (``dspy.Signature("p: Person -> ok: bool")``)."""
    import builtins

    import re

    needed = {name.split(".")[0] for name in re.findall(_TYPE_NAME, text)}
    needed = {n for n in needed if n not in typing.__dict__ and not hasattr(builtins, n)}
    if not needed:
        return None
    found: dict[str, Any] = {}
    frame = sys._getframe(2)
    depth = 0
    while frame is not None and needed and depth < 100:
        depth += 1
        for name in list(needed):
            scope = frame.f_locals if name in frame.f_locals else frame.f_globals if name in frame.f_globals else None
            if scope is not None:
                if _type_like(scope[name]):  # a field name that is also a variable is not a type
                    found[name] = scope[name]
                needed.discard(name)
        frame = frame.f_back
    return found or None


def _type_like(value: Any) -> bool:
    return isinstance(value, (type, types.ModuleType)) or typing.get_origin(value) is not None
