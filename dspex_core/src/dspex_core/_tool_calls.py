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


class ToolCallResult:
    """What one call returned: the call's ``call_id`` and ``name``, the ``value`` (or the error
    text) and whether it is an error."""

    __slots__ = ("call_id", "name", "value", "is_error")

    def __init__(self, name: str, value: Any, call_id: str | None = None, is_error: bool = False) -> None:
        if not isinstance(name, str):
            raise InputError(f"a tool call result's name must be a str, got {type(name).__name__}: {name!r}")
        if call_id is not None and not isinstance(call_id, str):
            raise InputError(f"the call_id of the tool call result {name!r} must be a str or None, got {call_id!r}")
        if not isinstance(is_error, bool):
            raise InputError(f"the is_error of the tool call result {name!r} must be a bool, got {is_error!r}")
        self.call_id, self.name, self.value, self.is_error = call_id, name, value, is_error

    def toDict(self) -> dict[str, Any]:  # noqa: N802 - the name Example and Prediction use
        """``{"call_id", "name", "value", "is_error"}``, DSPy's field order."""
        return {"call_id": self.call_id, "name": self.name, "value": self.value, "is_error": self.is_error}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ToolCallResult) and other.toDict() == self.toDict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"ToolCallResult(call_id={self.call_id!r}, name={self.name!r}, value={self.value!r}, "
                f"is_error={self.is_error!r})")


class ToolCallResults:
    """The results of one reply's calls (DSPy's ``dspy.ToolCallResults``), which a conversation
    history carries on its ``ToolCalls`` (``tool_call_results``) so the next prompt shows them."""

    ToolCallResult = ToolCallResult
    __slots__ = ("tool_call_results",)

    def __init__(self, tool_call_results: list[Any]) -> None:
        if not isinstance(tool_call_results, list):
            raise InputError(f"ToolCallResults(tool_call_results=...) takes a list of results, "
                             f"got {type(tool_call_results).__name__}")
        self.tool_call_results = [_result(item) for item in tool_call_results]

    @classmethod
    def from_tool_calls_and_values(cls, tool_calls: Any, values: list[Any],
                                   is_errors: list[bool] | None = None) -> ToolCallResults:
        """One result per call, in order: the call's id and name with its value."""
        calls = tool_calls.tool_calls if isinstance(tool_calls, ToolCalls) else list(tool_calls)
        if len(calls) != len(values):
            raise ValueError("`tool_calls` and `values` must have the same length.")
        if is_errors is None:
            is_errors = [False] * len(calls)
        elif len(is_errors) != len(calls):
            raise ValueError("`is_errors` must have the same length as `tool_calls` when provided.")
        return cls([ToolCallResult(call.name, value, call.id, is_error)
                    for call, value, is_error in zip(calls, values, is_errors)])

    @classmethod
    def of(cls, data: Any) -> ToolCallResults:
        """``data`` read as DSPy's validator reads it: a ToolCallResults (dspy's too), a list of
        results, a dict with ``tool_call_results``, or one result ``{"name", "value", ...}``."""
        if isinstance(data, cls):
            return data
        if type(data).__name__ == "ToolCallResults" and hasattr(data, "tool_call_results"):  # dspy's
            return cls([ToolCallResult(r.name, r.value, r.call_id, r.is_error) for r in data.tool_call_results])
        if isinstance(data, list):
            return cls(data)
        if isinstance(data, dict):
            if "tool_call_results" in data:
                return cls(data["tool_call_results"])
            if {"name", "value"}.issubset(data):
                return cls([data])
        raise InputError(f"Received invalid value for `dspy.ToolCallResults`: {data}")

    def toDict(self) -> dict[str, Any]:  # noqa: N802
        """``{"tool_call_results": [...]}``, as DSPy writes the value into a prompt."""
        return {"tool_call_results": [result.toDict() for result in self.tool_call_results]}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ToolCallResults) and other.tool_call_results == self.tool_call_results

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ToolCallResults(tool_call_results={self.tool_call_results!r})"


def _result(item: Any) -> ToolCallResult:
    if isinstance(item, ToolCallResult):
        return item
    if type(item).__name__ == "ToolCallResult" and hasattr(item, "value"):  # dspy's
        return ToolCallResult(item.name, item.value, item.call_id, item.is_error)
    if isinstance(item, dict) and "name" in item and "value" in item:
        unknown = set(item) - {"call_id", "name", "value", "is_error"}
        if not unknown:
            return ToolCallResult(**item)
    raise InputError(f"Received invalid tool call result for `dspy.ToolCallResults`: {item}")


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
            results = self.tool_call_results
            data["tool_call_results"] = results.toDict() if isinstance(results, ToolCallResults) else results
        return data

    def without_results(self) -> ToolCalls:
        """The same calls, ``tool_call_results`` left out (as a history's assistant turn shows them)."""
        return ToolCalls(list(self.tool_calls))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ToolCalls) and other.tool_calls == self.tool_calls
                and other.tool_call_results == self.tool_call_results)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ToolCalls(tool_calls={self.tool_calls!r}, tool_call_results={self.tool_call_results!r})"


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
