"""The ``tools=[...]`` a ReAct agent is created with, checked and made into :class:`Tool` objects.

DSPy accepts almost anything here and fails in the middle of a trajectory, when the LM picks a
tool that cannot be called; dspex checks the list at ``create`` instead, with the dspy
backend's rules and words, so each mistake is an :class:`~dspex_core.errors.InputError` naming
the tool before any LM call: not a list, a string instead of a function, something not
callable, a name that is not an identifier, the reserved ``finish``, a name used twice, and
(DSPy calls tools with keyword arguments only) a function taking ``*args``. A tool whose
argument types need pydantic or jsonschema (a model, an ``Enum``, a ``datetime``, ...) where
they are not installed is a :class:`~dspex_core.errors.CapabilityError`, so the router can hand
the agent to dspy.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import CapabilityError, InputError

from dspex_native.tools.tool import Tool

#: The tool ReAct adds last to end the trajectory.
FINISH = "finish"
_TOOL_ATTRIBUTES = ("func", "name", "args")


def is_tool_like(obj: Any) -> bool:
    """Whether ``obj`` carries ready tool metadata (a ``dspy.Tool`` or the like)."""
    return (isinstance(obj, Tool) or all(hasattr(obj, a) for a in _TOOL_ATTRIBUTES)) and callable(
        getattr(obj, "func", None)) and isinstance(getattr(obj, "args", None), dict)


def build_tools(tools: Any, module_type: str = "react") -> list[Tool]:
    """:class:`Tool` objects for ``tools`` (callables or tool objects), in order; see the module docs."""
    if tools is None:
        raise InputError(f"{module_type} needs tools=[...]: a list of Python callables (functions) the agent may call")
    if isinstance(tools, (str, bytes)) or not hasattr(tools, "__iter__") or isinstance(tools, dict):
        raise InputError(f"tools must be a list of Python callables, got {type(tools).__name__}")
    made: list[Tool] = []
    seen: dict[str, int] = {}
    for index, tool in enumerate(tools):
        made_tool = _make(index, tool, module_type)
        name = made_tool.name
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(f"tools[{index}] has the name {name!r}, which is not an identifier; give it one: "
                             f"Tool(func, name=...) (dspex_native.tools.Tool, or dspy.Tool)")
        if name == FINISH:
            raise InputError("a tool may not be named 'finish': ReAct reserves it to end the trajectory")
        if name in seen:
            raise InputError(f"two tools are named {name!r} (tools[{seen[name]}] and tools[{index}]); tool names "
                             f"must be unique")
        seen[name] = index
        _check_types(made_tool, module_type)
        made.append(made_tool)
    return made


def _make(index: int, tool: Any, module_type: str) -> Tool:
    if isinstance(tool, str):
        raise InputError(f"tool {tool!r} (tools[{index}]) is a name, not a function: unknown tool name; "
                         f"pass the Python callable itself")
    if is_tool_like(tool):
        func = tool.func
        made = tool if isinstance(tool, Tool) else None
    elif callable(tool):
        func, made = tool, None
    else:
        raise InputError(f"tools[{index}] ({tool!r}) is not callable; tools must be Python callables")
    _refuse_var_positional(index, func)
    try:
        if made is None:
            made = Tool.like(tool) if is_tool_like(tool) else Tool(tool)
    except CapabilityError as exc:
        raise CapabilityError(f"{module_type}: tools[{index}] ({_name(tool)}): {exc}") from None
    except Exception as exc:  # what dspy.Tool raises for a callable it cannot read
        raise InputError(f"tools[{index}] ({tool!r}) cannot be used as a tool: {exc}") from exc
    return made


def _refuse_var_positional(index: int, func: Any) -> None:
    """A tool is called with the LM's arguments by name only: ``*args`` could never be filled."""
    import inspect

    target = func if inspect.isfunction(func) or inspect.ismethod(func) else getattr(func, "__call__", func)
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return  # no readable signature: Tool() says so
    star = [p.name for p in parameters if p.kind == p.VAR_POSITIONAL]
    if star:
        raise InputError(f"tools[{index}] ({_name(func)}) takes *{star[0]}; a ReAct agent calls tools with keyword "
                         f"arguments only, so declare each argument by name (for a builtin or functools.partial, wrap "
                         f"it in a function)")


def _name(obj: Any) -> str:
    name = getattr(obj, "name", None) if is_tool_like(obj) else None
    return name if isinstance(name, str) else getattr(obj, "__name__", type(obj).__name__)


def _check_types(tool: Tool, module_type: str) -> None:
    """Native tools mirror pydantic and jsonschema for the common argument types, and call them
    for the others: those need pydantic (to convert) and jsonschema (to check) installed."""
    import importlib.util

    from dspex_native.tools.schema import pydantic_missing, supported
    from dspex_native.tools.validation import unsupported_keywords

    for key, annotation in tool.arg_types.items():
        if not supported(annotation) and importlib.util.find_spec("pydantic") is None:
            raise CapabilityError(f"{module_type}: tool {tool.name!r}, argument {key!r}: "
                                  f"{pydantic_missing(annotation)}")
    for key, schema in tool.args.items():
        unknown = unsupported_keywords(schema)
        if unknown and importlib.util.find_spec("jsonschema") is None:
            raise CapabilityError(
                f"{module_type}: the native backend checks the JSON schema keywords {unknown} of the tool argument "
                f"{key!r} (tool {tool.name!r}) with jsonschema (as dspy.Tool does), which is not installed (pip "
                f"install jsonschema); use implementation='dspy'")
