"""Tools for the native ReAct agent: Python callables with DSPy's tool metadata and checks.

:class:`Tool` is ``dspy.Tool`` without dspy: the name, description and argument schema DSPy
infers from a function (and shows the LM), and DSPy's validation and conversion of the
arguments the LM picks. :func:`build_tools` turns ``create(..., tools=[...])`` into tools, with
an :class:`~dspex_core.errors.InputError` for each kind of mistake before any LM call.
One concept per module: :mod:`.schema` (pydantic's argument schemas), :mod:`.validation`
(jsonschema's checks and messages), :mod:`.tool` (the tool), :mod:`.build` (the list).
"""

from dspex_native.tools.build import FINISH, build_tools, is_tool_like
from dspex_native.tools.tool import Tool

__all__ = ["FINISH", "Tool", "build_tools", "is_tool_like"]
