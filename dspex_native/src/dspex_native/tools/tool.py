"""A tool a ReAct agent may call: a Python callable with the name, description and argument
schema DSPy infers for it (``dspy.Tool``), and DSPy's checks around each call.

The agent's instructions list every tool as ``str(tool)`` renders it, so the inference follows
``dspy.Tool`` exactly: the name is ``__name__`` (else the class name), the description the raw
docstring, each argument's schema pydantic's (:mod:`.schema`) plus its default. A call first
validates every argument against its schema (:mod:`.validation`, with jsonschema's messages),
then converts it to the annotated type with pydantic's lax rules (the adapters' validator,
which mirrors pydantic for the common types; pydantic itself, as ``dspy.Tool`` calls it, for
the others), and only then calls the function; a coroutine it
returns is awaited by :meth:`Tool.acall` and refused by a sync call, as DSPy refuses it by
default.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Callable

from dspex_core import callbacks
from dspex_core.backend import LRUCache

from dspex_native.tools.schema import supported

#: DSPy's words when a sync call meets an async tool (it is the observation the LM reads).
ASYNC_IN_SYNC = ("You are calling `__call__` on an async tool, please use `acall` instead or enable "
                 "async-to-sync conversion with `dspy.configure(allow_tool_async_sync_conversion=True)` "
                 "or `with dspy.context(allow_tool_async_sync_conversion=True):`.")


class Tool:
    """A callable with DSPy's tool metadata: ``Tool(func, name=None, desc=None, args=None,
    arg_types=None, arg_desc=None)``, inferring what is not given as ``dspy.Tool`` does."""

    __slots__ = ("func", "name", "desc", "args", "arg_types", "has_kwargs")

    def __init__(self, func: Callable[..., Any], name: str | None = None, desc: str | None = None,
                 args: dict[str, Any] | None = None, arg_types: dict[str, Any] | None = None,
                 arg_desc: dict[str, str] | None = None):
        self.func = func
        inferred = infer(func, arg_desc)
        self.name = name or inferred["name"]
        self.desc = desc or inferred["desc"]
        self.args = args if args is not None else inferred["args"]
        self.arg_types = arg_types if arg_types is not None else inferred["arg_types"]
        self.has_kwargs = inferred["has_kwargs"]

    @classmethod
    def like(cls, tool: Any) -> "Tool":
        """A native tool with the metadata of a ready tool object (a ``dspy.Tool``, or any object
        with its attributes: ``func``, ``name``, ``desc``, ``args``, and optionally ``arg_types``
        and ``has_kwargs``), taken as they are, as ReAct takes a ``dspy.Tool``."""
        made = object.__new__(cls)
        made.func = tool.func
        made.name = tool.name
        made.desc = getattr(tool, "desc", None)
        made.args = tool.args
        arg_types = getattr(tool, "arg_types", None)
        has_kwargs = getattr(tool, "has_kwargs", None)
        if arg_types is None or has_kwargs is None:
            inferred = infer(tool.func)
            arg_types = inferred["arg_types"] if arg_types is None else arg_types
            has_kwargs = inferred["has_kwargs"] if has_kwargs is None else has_kwargs
        made.arg_types = dict(arg_types)
        made.has_kwargs = bool(has_kwargs)
        return made

    # -- what the LM reads -----------------------------------------------------------------
    def __str__(self) -> str:
        """``dspy.Tool.__str__``: the line that lists this tool in ReAct's instructions."""
        desc = f", whose description is <desc>{self.desc}</desc>.".replace("\n", "  ") if self.desc else "."
        return f"{self.name}{desc} It takes arguments {self.args}."

    def __repr__(self) -> str:
        return f"Tool(name={self.name}, desc={self.desc}, args={self.args})"

    # -- calling ---------------------------------------------------------------------------
    def parse_args(self, **kwargs: Any) -> dict[str, Any]:
        """DSPy's ``_validate_and_parse_args``: each argument checked against its schema, then
        converted to its annotated type; a problem is a ``ValueError`` the LM will read."""
        from dspex_native.tools.validation import schema_error

        for key, value in kwargs.items():
            if key not in self.args:
                if self.has_kwargs:
                    continue
                raise ValueError(f"Arg {key} is not in the tool's args.")
            instance = value.model_dump() if hasattr(value, "model_dump") else value
            kind = self.args[key].get("type")
            if kind is not None and kind != "Any":
                problem = schema_error(instance, self.args[key])
                if problem is not None:
                    raise ValueError(f"Arg {key} is invalid: {problem}")
        parsed = {}
        for key, value in kwargs.items():
            annotation = self.arg_types.get(key, Any)
            if annotation is Any:
                parsed[key] = value
            elif supported(annotation):
                from dspex_native.adapters._coerce import validate

                try:
                    parsed[key] = validate(annotation, value)
                except ValueError as exc:
                    raise ValueError(f"Arg {key} is invalid: {exc}") from None
            else:  # pydantic's own conversion, as dspy.Tool makes it (its ValidationError as it is)
                parsed[key] = pydantic_wrapper(annotation).model_validate({"value": value}).value
        return parsed

    def __call__(self, **kwargs: Any) -> Any:
        found = callbacks.active()
        if found:  # DSPy's on_tool_start/end (``instance`` is this Tool)
            with callbacks.Events("tool", found, self, {"kwargs": kwargs}) as events:
                events.outputs = self._call(kwargs)
            return events.outputs
        return self._call(kwargs)

    def _call(self, kwargs: dict[str, Any]) -> Any:
        result = self.func(**self.parse_args(**kwargs))
        if isinstance(result, Coroutine):
            result.close()  # never awaited: say so instead of leaving a warning behind
            raise ValueError(ASYNC_IN_SYNC)
        return result

    async def acall(self, **kwargs: Any) -> Any:
        found = callbacks.active()
        if found:
            with callbacks.Events("tool", found, self, {"kwargs": kwargs}) as events:
                events.outputs = await self._acall(kwargs)
            return events.outputs
        return await self._acall(kwargs)

    async def _acall(self, kwargs: dict[str, Any]) -> Any:
        result = self.func(**self.parse_args(**kwargs))
        if isinstance(result, Coroutine):
            return await result
        return result


def pydantic_wrapper(annotation: Any) -> Any:
    """``dspy.Tool``'s converter of an argument of a type pydantic reads: a model ``Wrapper`` with
    one field ``value`` of that type (made once per type; pydantic is installed, as the type's
    schema needed it)."""
    key = (annotation, repr(annotation))
    found = _WRAPPERS.get(key)
    if found is None:
        from pydantic import create_model

        found = _WRAPPERS.put(key, create_model("Wrapper", value=(annotation, ...)))
    return found


_WRAPPERS: LRUCache[Any, Any] = LRUCache(256)


def infer(func: Callable[..., Any], arg_desc: dict[str, str] | None = None) -> dict[str, Any]:
    """What ``dspy.Tool`` infers from ``func``: name, description, argument schemas and types,
    and whether it takes ``**kwargs``. Raises what ``inspect``/``typing`` raise for a callable
    without a readable signature or with unresolvable annotations."""
    import inspect
    from typing import get_type_hints

    from dspex_native.tools.schema import arg_schema, json_default

    target = func if inspect.isfunction(func) or inspect.ismethod(func) else func.__call__
    name = getattr(func, "__name__", type(func).__name__)
    desc = getattr(func, "__doc__", None) or getattr(target, "__doc__", "")
    signature = inspect.signature(target)
    hints = get_type_hints(target)
    args: dict[str, Any] = {}
    arg_types: dict[str, Any] = {}
    for key, param in signature.parameters.items():
        annotation = hints.get(key, Any)
        arg_types[key] = annotation
        schema = arg_schema(annotation)
        if param.default is not inspect.Parameter.empty:
            schema["default"] = json_default(param.default)
        if arg_desc and key in arg_desc:
            schema["description"] = arg_desc[key]
        args[key] = schema
    has_kwargs = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
    return {"name": name, "desc": desc, "args": args, "arg_types": arg_types, "has_kwargs": has_kwargs}
