"""The tools a ``react`` agent may call: Python callables as ``dspy.Tool`` objects, checked.

dspy accepts almost anything as a tool and fails later, in the middle of a trajectory, when the
LM names a tool that cannot be called. Checking the list at ``create`` turns each such mistake
into an :class:`~dspex_core.errors.InputError` naming the tool, before any LM call.
"""

from __future__ import annotations

from typing import Any

import dspy
from dspex_core.errors import InputError


def build_tools(tools: Any) -> list[Any]:
    """``dspy.Tool`` objects from Python callables (or ready ``dspy.Tool``\\ s).

    Anything that is not callable, a name that is not a Python identifier, a name used
    twice or the reserved ``finish`` is an :class:`InputError` naming the tool.
    """
    if tools is None:
        raise InputError("react needs tools=[...]: a list of Python callables (functions) the agent may call")
    if isinstance(tools, (str, bytes)) or not hasattr(tools, "__iter__"):
        raise InputError(f"tools must be a list of Python callables, got {type(tools).__name__}")
    made: list[Any] = []
    seen: dict[str, Any] = {}
    for index, tool in enumerate(tools):
        if isinstance(tool, str):
            raise InputError(f"tool {tool!r} (tools[{index}]) is a name, not a function: unknown tool name; "
                             f"pass the Python callable itself")
        if not isinstance(tool, dspy.Tool) and not callable(tool):
            raise InputError(f"tools[{index}] ({tool!r}) is not callable; tools must be Python callables")
        _refuse_var_positional(index, tool.func if isinstance(tool, dspy.Tool) else tool)
        try:
            made_tool = tool if isinstance(tool, dspy.Tool) else dspy.Tool(tool)
        except Exception as exc:
            raise InputError(f"tools[{index}] ({tool!r}) cannot be used as a tool: {exc}") from exc
        name = made_tool.name
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(f"tools[{index}] has the name {name!r}, which is not an identifier; "
                             f"wrap it in dspy.Tool(func, name=...)")
        if name == "finish":
            raise InputError("a tool may not be named 'finish': ReAct reserves it to end the trajectory")
        if name in seen:
            raise InputError(f"two tools are named {name!r} (tools[{seen[name]}] and tools[{index}]); tool names "
                             f"must be unique")
        seen[name] = index
        made.append(made_tool)
    return made


def _refuse_var_positional(index: int, func: Any) -> None:
    """dspy calls a tool with the LM's arguments by name only, so a ``*args`` parameter could never
    be filled (dspy would build the tool and fail when the LM uses it)."""
    import inspect

    target = func if inspect.isfunction(func) or inspect.ismethod(func) else getattr(func, "__call__", func)
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return  # no readable signature: dspy.Tool says so
    star = [p.name for p in parameters if p.kind == p.VAR_POSITIONAL]
    if star:
        name = getattr(func, "__name__", type(func).__name__)
        raise InputError(f"tools[{index}] ({name}) takes *{star[0]}; a ReAct agent calls tools with keyword "
                         f"arguments only, so declare each argument by name (for a builtin or functools.partial, wrap "
                         f"it in a function)")
