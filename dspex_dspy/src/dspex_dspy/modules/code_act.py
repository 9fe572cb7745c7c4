"""``code_act`` through ``dspy.CodeAct``: act by writing code that calls the tools, in the sandbox.

DSPy 3.4 deprecates ``CodeAct`` in favour of ``RLM`` (``rlm``); its deprecation warning is not
repeated for every module dspex makes. CodeAct defines each tool in the sandbox from its source
(``inspect.getsource``), so tools must be plain functions written in a file; dspex says so at
create instead of at the first call.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import dspy
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy._building import build_signature, set_demos
from dspex_dspy._interpreter import OPTIONS, interpreter_factory, positive
from dspex_dspy._tools import build_tools


def _check_tool(index: int, tool: Any) -> None:
    func = tool.func if isinstance(tool, dspy.Tool) else tool
    if not inspect.isfunction(func):
        raise InputError(f"code_act: tools[{index}] ({func!r}) is not a function; CodeAct defines each tool in the "
                         f"sandbox from its source, so tools must be plain functions (not callable objects)")
    try:
        inspect.getsource(func)
    except (OSError, TypeError):
        raise InputError(f"code_act: the source of tools[{index}] ({func.__name__}) cannot be read; CodeAct defines "
                         f"each tool in the sandbox from its source, so define it in a file") from None


class CodeActImpl(DspyImplementation):
    """``dspy.CodeAct``: ``create(signature, tools=[functions], max_iters=5, interpreter=None,
    sandbox_timeout=..., sandbox_memory_mb=..., instructions=, demos=)``. Each step the LM writes
    code (calling the tools, which run inside the sandbox too) and says whether it is finished; a
    ChainOfThought then extracts the outputs from the trajectory."""

    module_type = "code_act"
    create_options = frozenset({"tools", "max_iters", "instructions", "demos"}) | OPTIONS
    call_options = frozenset({"config"})

    def build(self, spec: Any, *, tools: Any = None, max_iters: int = 5, interpreter: Any = None,
              instructions: str | None = None, demos: Any = None, **limit_options: Any) -> Any:
        positive(self.module_type, "max_iters", max_iters)
        if not tools:
            raise InputError("code_act needs tools=[...]: a list of plain functions the code may call")
        if isinstance(tools, (list, tuple)):
            for index, tool in enumerate(tools):
                _check_tool(index, tool)
        made = build_tools(tools)
        signature = build_signature(spec, instructions)
        factory = interpreter_factory(self.module_type, interpreter, limit_options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # "CodeAct is deprecated" (DSPy 3.4)
            module = dspy.CodeAct(signature, tools=made, max_iters=max_iters, interpreter_factory=factory)
        if demos is not None:
            set_demos(module, demos)
        return module


implementation = CodeActImpl()
