"""DSPy's ``InputField`` / ``OutputField`` and the field objects a signature class holds.

DSPy's fields are pydantic ``FieldInfo`` objects with DSPy's own options in
``json_schema_extra`` (``__dspy_field_type``, ``desc``, ``prefix``, ``IS_TYPE_UNDEFINED``,
``constraints``). Importing pydantic would cost more than the whole layer may (``import dspy``
under 50 ms), so :class:`FieldInfo` is a small object with the attributes DSPy code and tests
read: ``annotation``, ``default``/``default_factory``/``is_required()``, ``description``,
``json_schema_extra`` and ``metadata`` (constraints as ``annotated_types``-shaped objects,
``Ge(ge=1)``, which dspex's signature reader takes as they are).
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["FieldInfo", "InputField", "OutputField", "PydanticUndefined", "IS_TYPE_UNDEFINED",
           "DSPY_FIELD_ARG_NAMES", "PYDANTIC_CONSTRAINT_MAP", "move_kwargs"]

IS_TYPE_UNDEFINED = "IS_TYPE_UNDEFINED"
DSPY_FIELD_ARG_NAMES = ["desc", "prefix", "format", "parser", "__dspy_field_type", IS_TYPE_UNDEFINED]
PYDANTIC_CONSTRAINT_MAP = {
    "gt": "greater than: ",
    "ge": "greater than or equal to: ",
    "lt": "less than: ",
    "le": "less than or equal to: ",
    "min_length": "minimum length: ",
    "max_length": "maximum length: ",
    "multiple_of": "a multiple of the given number: ",
    "allow_inf_nan": "allow 'inf', '-inf', 'nan' values: ",
}
_DEPRECATED = {
    name: (f"The '{name}' argument in InputField/OutputField is deprecated and has no effect in DSPy. "
           "It will be removed in a future version.")
    for name in ("prefix", "format", "parser")
}
#: pydantic.Field options kept as attributes of the field itself.
_PLAIN = ("default", "default_factory", "description", "alias", "title", "examples")


class _UndefinedType:
    """pydantic's marker for "no default" (``PydanticUndefined``)."""

    _instance: "_UndefinedType | None" = None

    def __new__(cls) -> "_UndefinedType":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "PydanticUndefined"

    def __copy__(self) -> "_UndefinedType":
        return self

    def __deepcopy__(self, memo: dict) -> "_UndefinedType":
        return self

    def __reduce__(self) -> str:
        return "PydanticUndefined"

    def __bool__(self) -> bool:
        return False


PydanticUndefined = _UndefinedType()


class _Constraint:
    """One constraint of a field, shaped as ``annotated_types`` makes them (``Ge(ge=1)``)."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: Any):
        self.name = name
        self.value = value

    def __getattr__(self, attr: str) -> Any:
        if attr == object.__getattribute__(self, "name"):
            return object.__getattribute__(self, "value")
        raise AttributeError(attr)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Constraint) and (self.name, self.value) == (other.name, other.value)

    def __hash__(self) -> int:
        return hash((self.name, repr(self.value)))

    def __repr__(self) -> str:
        return f"{''.join(p.capitalize() for p in self.name.split('_'))}({self.name}={self.value!r})"


class FieldInfo:
    """A signature field: its type, default, DSPy options (``json_schema_extra``) and constraints."""

    __slots__ = ("annotation", "default", "default_factory", "description", "alias", "title", "examples",
                 "json_schema_extra", "metadata")

    def __init__(self, annotation: Any = None, json_schema_extra: dict[str, Any] | None = None,
                 metadata: list[Any] | None = None, **options: Any):
        unknown = set(options) - set(_PLAIN)
        if unknown:
            raise TypeError(f"unexpected field options: {', '.join(sorted(unknown))}")
        self.annotation = annotation
        self.default = options.get("default", PydanticUndefined)
        self.default_factory = options.get("default_factory")
        self.description = options.get("description")
        self.alias = options.get("alias")
        self.title = options.get("title")
        self.examples = options.get("examples")
        self.json_schema_extra = json_schema_extra
        self.metadata = list(metadata or ())

    def is_required(self) -> bool:
        """pydantic's rule: no default and no default factory."""
        return self.default is PydanticUndefined and self.default_factory is None

    def get_default(self, *, call_default_factory: bool = False) -> Any:
        if self.default_factory is not None:
            return self.default_factory() if call_default_factory else None
        return None if self.default is PydanticUndefined else self.default

    def _copy(self) -> "FieldInfo":
        copy = FieldInfo.__new__(FieldInfo)
        for slot in FieldInfo.__slots__:
            setattr(copy, slot, getattr(self, slot))
        copy.json_schema_extra = dict(self.json_schema_extra) if self.json_schema_extra is not None else None
        copy.metadata = list(self.metadata)
        return copy

    def __repr__(self) -> str:
        parts = [f"annotation={_type_repr(self.annotation)}", f"required={self.is_required()}"]
        if self.default is not PydanticUndefined:
            parts.append(f"default={self.default!r}")
        if self.default_factory is not None:
            parts.append(f"default_factory={getattr(self.default_factory, '__name__', self.default_factory)}")
        if self.description is not None:
            parts.append(f"description={self.description!r}")
        if self.json_schema_extra is not None:
            parts.append(f"json_schema_extra={self.json_schema_extra!r}")
        if self.metadata:
            parts.append(f"metadata={self.metadata!r}")
        return " ".join(parts)


def _type_repr(annotation: Any) -> str:
    if isinstance(annotation, type) and getattr(annotation, "__module__", "") == "builtins":
        return annotation.__name__
    return repr(annotation)


def move_kwargs(**kwargs: Any) -> dict[str, Any]:
    """DSPy's split of field options: its own into ``json_schema_extra``, pydantic's kept."""
    plain: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in kwargs.items():
        (extra if key in DSPY_FIELD_ARG_NAMES else plain)[key] = value
    if "description" in kwargs and "desc" not in extra:
        extra["desc"] = kwargs["description"]
    # in the order the author wrote them, as DSPy joins them
    ordered = [f"{PYDANTIC_CONSTRAINT_MAP[key]}{value}" for key, value in kwargs.items() if key in PYDANTIC_CONSTRAINT_MAP]
    if ordered:
        extra["constraints"] = ", ".join(ordered)
    plain["json_schema_extra"] = extra
    return plain


def _field(kind: str, kwargs: dict[str, Any]) -> FieldInfo:
    for name, message in _DEPRECATED.items():
        if name in kwargs:
            warnings.warn(message, DeprecationWarning, stacklevel=3)
    options = move_kwargs(**kwargs, __dspy_field_type=kind)
    extra = options.pop("json_schema_extra")
    metadata = [_Constraint(key, options.pop(key)) for key in list(options) if key in PYDANTIC_CONSTRAINT_MAP]
    annotation = options.pop("annotation", None)
    return FieldInfo(annotation, extra, metadata, **options)


def InputField(**kwargs: Any) -> Any:  # noqa: N802 - DSPy's name
    """An input field of a signature (DSPy's ``dspy.InputField``)."""
    return _field("input", kwargs)


def OutputField(**kwargs: Any) -> Any:  # noqa: N802 - DSPy's name
    """An output field of a signature (DSPy's ``dspy.OutputField``)."""
    return _field("output", kwargs)
