"""DSPy's ``Tool``: a Python callable with the name, description and argument schemas DSPy infers.

The name is ``__name__`` (else the class name), the description the docstring, each argument's
schema pydantic's JSON schema of its annotation (``$ref``s expanded) plus its default and
description; a plain type's schema is written without pydantic (:mod:`dspex_compat._json_schema`).
A call checks each argument's JSON type against its schema (DSPy runs jsonschema there; the layer
checks the ``type`` keyword, with jsonschema's message), converts it to the annotated type with
pydantic (without pydantic installed, a plain type's value is passed as it is), and fires DSPy's
``on_tool_*`` callbacks.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Callable, get_origin, get_type_hints

from dspex_compat._callback import with_callbacks
from dspex_compat._json_schema import plain_schema
from dspex_compat._settings import settings

__all__ = ["Tool"]

_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                            "boolean": (bool,), "array": (list, tuple), "object": (dict,),
                                            "null": (type(None),)}


class Tool:
    """A callable an agent may call, with DSPy's metadata (``Tool(func, name=, desc=, args=, ...)``)."""

    __module__ = "dspy.adapters.types.tool"  # where DSPy defines it: adapters recognise dspy.Tool by it
    _callback_kind = "tool"

    def __init__(self, func: Callable[..., Any], name: str | None = None, desc: str | None = None,
                 args: dict[str, Any] | None = None, arg_types: dict[str, Any] | None = None,
                 arg_desc: dict[str, str] | None = None):
        self.func = func
        self.name = name
        self.desc = desc
        self.args = args
        self.arg_types = arg_types
        self.arg_desc = arg_desc
        self.has_kwargs = False
        self._parse_function(func, arg_desc)

    def _parse_function(self, func: Callable[..., Any], arg_desc: dict[str, str] | None) -> None:
        import inspect  # when a tool is made: ``import dspy`` does not load it

        target = func if inspect.isfunction(func) or inspect.ismethod(func) else func.__call__
        sig = inspect.signature(target)
        hints = get_type_hints(target)
        args: dict[str, Any] = {}
        arg_types: dict[str, Any] = {}
        for param_name, param in sig.parameters.items():
            annotation = hints.get(param_name, Any)
            arg_types[param_name] = annotation
            schema = _json_schema(annotation)
            if param.default is not inspect.Parameter.empty:
                schema["default"] = _json_default(param.default)
            if arg_desc and param_name in arg_desc:
                schema["description"] = arg_desc[param_name]
            args[param_name] = schema
        self.name = self.name or getattr(func, "__name__", type(func).__name__)
        self.desc = self.desc or getattr(func, "__doc__", None) or getattr(target, "__doc__", "")
        self.args = self.args if self.args is not None else args
        self.arg_types = self.arg_types if self.arg_types is not None else arg_types
        self.has_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())

    def _validate_and_parse_args(self, **kwargs: Any) -> dict[str, Any]:
        for key, value in kwargs.items():
            if key not in self.args:
                if self.has_kwargs:
                    continue
                raise ValueError(f"Arg {key} is not in the tool's args.")
            instance = value.model_dump() if hasattr(value, "model_dump") else value
            wanted = self.args[key].get("type")
            if wanted is not None and wanted != "Any" and not _is_json_type(instance, wanted):
                raise ValueError(f"Arg {key} is invalid: {instance!r} is not of type {_type_list(wanted)}")
        parsed: dict[str, Any] = {}
        for key, value in kwargs.items():
            annotation = self.arg_types.get(key, Any)
            if key in self.arg_types and annotation is not Any and not _taken_as_is(annotation):
                from pydantic import create_model

                wrapper = create_model("Wrapper", value=(annotation, ...))
                parsed[key] = wrapper.model_validate({"value": value}).value
            else:
                parsed[key] = value
        return parsed

    def format(self) -> str:
        return str(self)

    def format_as_litellm_function_call(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.desc,
            "parameters": {"type": "object", "properties": self.args,
                           "required": [k for k in self.args if "default" not in self.args[k]]}}}

    @with_callbacks
    def __call__(self, **kwargs: Any) -> Any:
        result = self.func(**self._validate_and_parse_args(**kwargs))
        if isinstance(result, Coroutine):
            if settings.allow_tool_async_sync_conversion:
                return _run_async_in_sync(result)
            result.close()
            raise ValueError(
                "You are calling `__call__` on an async tool, please use `acall` instead or enable "
                "async-to-sync conversion with `dspy.configure(allow_tool_async_sync_conversion=True)` "
                "or `with dspy.context(allow_tool_async_sync_conversion=True):`.")
        return result

    @with_callbacks
    async def acall(self, **kwargs: Any) -> Any:
        result = self.func(**self._validate_and_parse_args(**kwargs))
        if isinstance(result, Coroutine):
            return await result
        return result

    def __repr__(self) -> str:
        return f"Tool(name={self.name}, desc={self.desc}, args={self.args})"

    def __str__(self) -> str:
        desc = f", whose description is <desc>{self.desc}</desc>.".replace("\n", "  ") if self.desc else "."
        return f"{self.name}{desc} It takes arguments {self.args}."


def _taken_as_is(annotation: Any) -> bool:
    """Without pydantic installed, a plain type's value (its JSON type checked) is passed as it is;
    with pydantic, every typed argument is converted by it, as DSPy does."""
    try:
        import pydantic  # noqa: F401
    except ImportError:
        return plain_schema(annotation) is not None
    return False


def _run_async_in_sync(coroutine: Any) -> Any:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    coroutine.close()
    raise ValueError(
        "You are calling `__call__` on an async tool from within a running event loop, which cannot be "
        "converted to a sync call, even with `allow_tool_async_sync_conversion` enabled. Please use "
        "`await tool.acall(...)` instead.")


def _is_json_type(instance: Any, wanted: str | list[str]) -> bool:
    for name in [wanted] if isinstance(wanted, str) else wanted:
        kinds = _JSON_TYPES.get(name)
        if kinds is None:
            return True  # a type keyword this check does not know: left to pydantic
        if isinstance(instance, bool) and name in ("integer", "number"):
            continue
        if isinstance(instance, kinds) or (name == "integer" and isinstance(instance, float) and instance.is_integer()):
            return True
    return False


def _type_list(wanted: str | list[str]) -> str:
    """The wanted types as jsonschema's message lists them (``'integer'``, ``'integer', 'null'``)."""
    return repr(wanted) if isinstance(wanted, str) else ", ".join(repr(t) for t in wanted)


def _json_schema(annotation: Any) -> dict[str, Any]:
    """pydantic's JSON schema of an argument's annotation, its ``$ref``s expanded (a plain type's
    written without pydantic: :mod:`dspex_compat._json_schema`)."""
    plain = plain_schema(annotation)
    if plain is not None:
        return plain
    from pydantic import BaseModel, TypeAdapter

    origin = get_origin(annotation) or annotation
    if isinstance(origin, type) and issubclass(origin, BaseModel):
        schema = annotation.model_json_schema()
    else:
        schema = TypeAdapter(annotation).json_schema()
    defs = schema.get("$defs")
    if not defs:
        return schema

    def resolve(obj: Any) -> Any:
        if isinstance(obj, dict):
            if "$ref" in obj:
                return resolve(defs[obj["$ref"].split("/")[-1]])
            return {k: resolve(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [resolve(item) for item in obj]
        return obj

    resolved = resolve(schema)
    resolved.pop("$defs", None)
    return resolved


def _json_default(value: Any) -> Any:
    """A default as JSON shows it (an Enum member as its value, a Decimal as a number)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    try:
        import pydantic_core

        return pydantic_core.to_jsonable_python(value)
    except Exception:  # noqa: BLE001 - as DSPy: the value as it is
        return value
