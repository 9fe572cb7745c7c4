"""Tools as an input field's value (``tools: list[dspy.Tool]``), rendered as DSPy renders them.

Without native function calling (DSPy's default), DSPy writes a tool into the prompt as its
``str``: ``name, whose description is <desc>...</desc>. It takes arguments {...}.`` (a list of
tools as the JSON list of those lines). Native's :class:`dspex_native.tools.Tool` has the same
``str`` and a ``dspy.Tool`` value brings its own, so the value formatting needs nothing more;
this file says which annotations hold tools: ``dspy.Tool`` (recognised by module and name) or
native's ``Tool``, alone, in a ``list[...]`` or ``Optional[...]``.
"""

from __future__ import annotations

import types
import typing
from typing import Any

_UNION_ORIGINS = (typing.Union, types.UnionType)


def is_tool_type(annotation: Any) -> bool:
    """Whether ``annotation`` is native's ``Tool`` or ``dspy.Tool``."""
    if not isinstance(annotation, type) or annotation.__name__ != "Tool":
        return False
    module = getattr(annotation, "__module__", "")
    return module.startswith("dspy.") or module == "dspex_native.tools.tool"


def takes_tools(annotation: Any) -> bool:
    """Whether an input field of this type holds tools natively: ``Tool``, ``list[Tool]``,
    ``Optional[...]`` of those."""
    if is_tool_type(annotation):
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in _UNION_ORIGINS:
        members = [a for a in args if a is not type(None)]
        return len(members) == 1 and len(args) == 2 and takes_tools(members[0])
    return origin is list and len(args) == 1 and is_tool_type(args[0])
