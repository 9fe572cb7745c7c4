"""DSPy's ``Tool``: a Python callable with the name, description and argument schemas DSPy infers.

RLM lists its tools in the action prompt from these (``name(arg: type)`` and the description)
and calls them from the interpreter. The inference is DSPy's: the name is ``__name__`` (else the
class name), the description the docstring, each argument's schema pydantic's JSON schema of its
annotation (``$ref``s expanded) plus its default; pydantic is imported only for a callable that
has arguments. A call passes the arguments as they are (DSPy also validates them against the
schemas first: not done here), refuses a coroutine in a sync call as DSPy does by default, and
awaits it in ``acall``.
"""

from __future__ import annotations

from typing import Any, Callable, get_type_hints

from dspex_compat._settings import settings

__all__ = ["Tool"]


class Tool:
    """A callable the LM's code may call, with DSPy's metadata (``Tool(func, name=, desc=, args=, ...)``)."""

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
        if callable(func):
            self._infer(func, arg_desc)

    def _infer(self, func: Callable[..., Any], arg_desc: dict[str, str] | None) -> None:
        import inspect  # here, not at import: ``import dspy`` stays light

        target = func if inspect.isfunction(func) or inspect.ismethod(func) else func.__call__
        name = getattr(func, "__name__", type(func).__name__)
        desc = getattr(func, "__doc__", None) or getattr(target, "__doc__", "")
        sig = inspect.signature(target)
        try:
            hints = get_type_hints(target)
        except Exception:
            hints = {}
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
        self.name = self.name or name
        self.desc = self.desc or desc
        self.args = self.args if self.args is not None else args
        self.arg_types = self.arg_types if self.arg_types is not None else arg_types
        self.has_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())

    def _parse_args(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        parsed: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key not in (self.args or {}) and not self.has_kwargs:
                raise ValueError(f"Arg {key} is not in the tool's args.")
            annotation = (self.arg_types or {}).get(key, Any)
            if annotation is Any:
                parsed[key] = value
                continue
            from pydantic import create_model

            wrapper = create_model("Wrapper", value=(annotation, ...))
            parsed[key] = wrapper.model_validate({"value": value}).value
        return parsed

    def __call__(self, **kwargs: Any) -> Any:
        import asyncio

        result = self.func(**self._parse_args(kwargs))
        if asyncio.iscoroutine(result):
            if settings.allow_tool_async_sync_conversion:
                try:
                    asyncio.get_running_loop()
                except RuntimeError:
                    return asyncio.run(result)
                result.close()
                raise ValueError(
                    "You are calling `__call__` on an async tool from within a running event loop, which cannot be "
                    "converted to a sync call, even with `allow_tool_async_sync_conversion` enabled. Please use "
                    "`await tool.acall(...)` instead.")
            result.close()
            raise ValueError(
                "You are calling `__call__` on an async tool, please use `acall` instead or enable "
                "async-to-sync conversion with `dspy.configure(allow_tool_async_sync_conversion=True)` "
                "or `with dspy.context(allow_tool_async_sync_conversion=True):`.")
        return result

    async def acall(self, **kwargs: Any) -> Any:
        import asyncio

        result = self.func(**self._parse_args(kwargs))
        if asyncio.iscoroutine(result):
            return await result
        return result

    def __repr__(self) -> str:
        return f"Tool(name={self.name}, desc={self.desc}, args={self.args})"

    def __str__(self) -> str:
        desc = f", whose description is <desc>{self.desc}</desc>.".replace("\n", "  ") if self.desc else "."
        return f"{self.name}{desc} It takes arguments {self.args}."


def _json_schema(annotation: Any) -> dict[str, Any]:
    """pydantic's JSON schema of an argument's annotation, its ``$ref``s expanded."""
    if annotation is Any:
        return {}
    from pydantic import BaseModel, TypeAdapter

    origin = getattr(annotation, "__origin__", None) or annotation
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
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        import pydantic_core

        return pydantic_core.to_jsonable_python(value)
    except Exception:
        return value
