"""``dspex.ToolCalls``: the tool calls a predictor answers with, as one output field.

DSPy's ``dspy.ToolCalls`` without pydantic. A signature output typed ``ToolCalls`` (or
``dspy.ToolCalls``) asks the LM for ``{"tool_calls": [{"name": ..., "args": {...}}, ...]}`` and
reads the reply into this value, which a program then runs (:meth:`ToolCall.execute`) or hands to
the next step. It accepts what DSPy's validator accepts: a dict with ``tool_calls``, a list of
calls, or a single call, each call as ``{"name", "args"}``, ``{"name", "arguments"}`` (a dict or
a JSON string) or OpenAI's ``{"id", "function": {"name", "arguments"}}``.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import InputError

_DESCRIPTION = ("Tool calls must be a JSON object with `tool_calls`, a list of calls. "
                "Each call must include `name` and `args`. "
                'Example: {"tool_calls": [{"name": "search", "args": {"query": "cats"}}]}')


class ToolCall:
    """One call: the tool's ``name``, its ``args`` (keyword arguments) and the provider's ``id``."""

    __slots__ = ("name", "args", "id")

    def __init__(self, name: str, args: dict[str, Any] | None = None, id: str | None = None) -> None:  # noqa: A002
        if not isinstance(name, str):
            raise InputError(f"a tool call's name must be a str, got {type(name).__name__}: {name!r}")
        args = {} if args is None else args
        if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
            raise InputError(f"the args of the tool call {name!r} must be a dict keyed by argument name, got {args!r}")
        if id is not None and not isinstance(id, str):
            raise InputError(f"the id of the tool call {name!r} must be a str or None, got {id!r}")
        self.name, self.args, self.id = name, dict(args), id

    def format(self) -> dict[str, Any]:
        """``{"name", "args"}``, as DSPy writes a call into a prompt (the id is left out)."""
        return {"name": self.name, "args": self.args}

    def execute(self, functions: Any) -> Any:
        """Run the call: ``functions`` maps tool names to callables, or is a list of tools (objects
        with ``name`` and ``func``, as ``dspy.Tool`` and native's ``Tool``)."""
        if isinstance(functions, dict):
            func = functions.get(self.name)
        else:
            func = next((getattr(t, "func", None) for t in functions or () if getattr(t, "name", None) == self.name),
                        None)
        if func is None:
            raise ValueError(f"Tool function '{self.name}' not found. Please pass the tool functions to the "
                             f"`execute` method.")
        try:
            return func(**self.args)
        except Exception as exc:
            raise RuntimeError(f"Error executing tool '{self.name}': {exc}") from exc

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ToolCall) and (other.name, other.args, other.id) == (self.name, self.args, self.id))

    __hash__ = None  # type: ignore[assignment]  # holds a dict

    def __repr__(self) -> str:
        return f"ToolCall(id={self.id!r}, name={self.name!r}, args={self.args!r})"


class ToolCalls:
    """The calls of one reply: ``ToolCalls(tool_calls=[ToolCall(...), ...])``."""

    ToolCall = ToolCall
    __slots__ = ("tool_calls", "tool_call_results")

    def __init__(self, tool_calls: list[ToolCall], tool_call_results: Any = None) -> None:
        if not isinstance(tool_calls, list):
            raise InputError(f"ToolCalls(tool_calls=...) takes a list of calls, got {type(tool_calls).__name__}")
        self.tool_calls = [call if isinstance(call, ToolCall) else ToolCall(**_normalized(call))
                           for call in tool_calls]
        self.tool_call_results = tool_call_results

    @classmethod
    def from_dict_list(cls, tool_calls_dicts: list[dict[str, Any]]) -> ToolCalls:
        """``[{"name": ..., "args": {...}}, ...]`` as a :class:`ToolCalls`."""
        return cls([ToolCall(**_normalized(item)) for item in tool_calls_dicts])

    @classmethod
    def of(cls, data: Any) -> ToolCalls:
        """``data`` read as DSPy's validator reads it (see the module doc); anything else is an
        :class:`InputError` (a ``ValueError``)."""
        if isinstance(data, cls):
            return data
        if type(data).__name__ == "ToolCalls" and hasattr(data, "tool_calls"):  # dspy's
            return cls([ToolCall(c.name, c.args, c.id) for c in data.tool_calls],
                       getattr(data, "tool_call_results", None))
        if isinstance(data, list) and all(isinstance(item, dict) and _is_call(item) for item in data):
            return cls.from_dict_list(data)
        if isinstance(data, dict):
            if "tool_calls" in data:
                calls = data["tool_calls"]
                if isinstance(calls, list):
                    return cls([ToolCall(**_normalized(c)) if isinstance(c, dict) else c for c in calls],
                               data.get("tool_call_results"))
            elif _is_call(data):
                return cls([ToolCall(**_normalized(data))])
        raise InputError(f"Received invalid value for `ToolCalls`: {data}")

    @classmethod
    def description(cls) -> str:
        """What DSPy's prompts say about the type (its ``Type description of ToolCalls``)."""
        return _DESCRIPTION

    def format(self) -> dict[str, Any]:
        """``{"tool_calls": [{"name", "args"}, ...]}``, as DSPy writes the value into a prompt."""
        return {"tool_calls": [call.format() for call in self.tool_calls]}

    def toDict(self) -> dict[str, Any]:  # noqa: N802 - the name Example and Prediction use
        """:meth:`format`, plus ``tool_call_results`` when set (DSPy's serializer)."""
        data = self.format()
        if self.tool_call_results is not None:
            data["tool_call_results"] = self.tool_call_results
        return data

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ToolCalls) and other.tool_calls == self.tool_calls
                and other.tool_call_results == self.tool_call_results)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ToolCalls(tool_calls={self.tool_calls!r})"


def _is_call(data: dict[str, Any]) -> bool:
    return ("name" in data and ("args" in data or "arguments" in data)) or "function" in data


def _normalized(data: Any) -> dict[str, Any]:
    """DSPy's ``_normalize_tool_call_dict``: ``{"id", "name", "args"}`` of any accepted call shape."""
    if not isinstance(data, dict):
        raise InputError(f"Received invalid tool call value for `ToolCalls`: {data}")
    if "function" in data:
        function = data.get("function") or {}
        if not isinstance(function, dict):
            raise InputError(f"Received invalid function value for `ToolCalls`: {function}")
        arguments = function.get("arguments", {})
        name = function.get("name") or data.get("name")
    else:
        arguments = data.get("args", data.get("arguments", {}))
        name = data.get("name")
    if isinstance(arguments, str):
        arguments = _loads(arguments)
    if not isinstance(arguments, dict):
        arguments = {}
    return {"id": data.get("id") or data.get("call_id"), "name": name, "args": arguments}


def _loads(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return {}


def is_tool_calls_type(annotation: Any) -> bool:
    """Whether ``annotation`` is :class:`ToolCalls` or DSPy's ``dspy.ToolCalls`` (recognised by its
    module and name, without importing dspy)."""
    if annotation is ToolCalls:
        return True
    return (isinstance(annotation, type) and annotation.__name__ == "ToolCalls"
            and getattr(annotation, "__module__", "").startswith("dspy."))
