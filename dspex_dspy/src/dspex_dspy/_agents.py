"""``react``, ``program_of_thought`` and ``multi_chain_comparison`` through dspy."""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import dspy
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy._predict import build_signature, set_demos
from dspex_dspy.translate import to_dspy_prediction


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


class ReActImpl(DspyImplementation):
    """``dspy.ReAct``: ``create(signature, tools=[callables], max_iters=20)``."""

    module_type = "react"
    create_options = frozenset({"tools", "max_iters", "instructions", "demos"})
    call_options = frozenset({"config", "max_iters"})

    def build(self, spec: Any, *, tools: Any = None, max_iters: int = 20, instructions: str | None = None,
              demos: Any = None) -> Any:
        if not isinstance(max_iters, int) or isinstance(max_iters, bool) or max_iters < 1:
            raise InputError(f"max_iters must be a positive integer, got {max_iters!r}")
        module = dspy.ReAct(build_signature(spec, instructions), tools=build_tools(tools), max_iters=max_iters)
        if demos is not None:
            set_demos(module, demos)
        return module


class ProgramOfThoughtImpl(DspyImplementation):
    """``dspy.ProgramOfThought`` with DSPy's sandboxed interpreter (Deno + Pyodide).

    ``interpreter=`` may name a zero-argument factory of dspy ``CodeInterpreter`` objects
    to use instead; without it the sandbox is used and, when it cannot start, creating the
    module raises :class:`~dspex_core.errors.CapabilityError` explaining why (see
    :mod:`dspex_dspy.sandbox`). An unsandboxed interpreter is never chosen silently.
    """

    module_type = "program_of_thought"
    create_options = frozenset({"max_iters", "interpreter", "instructions", "demos"})
    call_options = frozenset({"config"})

    def build(self, spec: Any, *, max_iters: int = 3, interpreter: Any = None, instructions: str | None = None,
              demos: Any = None) -> Any:
        if not isinstance(max_iters, int) or isinstance(max_iters, bool) or max_iters < 1:
            raise InputError(f"max_iters must be a positive integer, got {max_iters!r}")
        if interpreter is None or interpreter == "sandboxed":
            from dspex_dspy.sandbox import check_sandbox, sandbox_factory

            check_sandbox()
            factory = sandbox_factory()
        elif callable(interpreter):
            factory = interpreter
        else:
            raise InputError("interpreter must be a zero-argument factory of dspy CodeInterpreter objects "
                             f"(or 'sandboxed', the default), got {interpreter!r}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # "ProgramOfThought is deprecated" (DSPy 3.4)
            module = dspy.ProgramOfThought(build_signature(spec, instructions), max_iters=max_iters,
                                           interpreter_factory=factory)
        if demos is not None:
            set_demos(module, demos)
        return module

    def call(self, module: Any, kwargs: dict[str, Any]) -> Any:
        try:
            return module(**kwargs)
        except RuntimeError as exc:
            if "Max hops reached" in str(exc):
                raise InputError(f"program_of_thought: {exc}") from exc
            raise


class MultiChainComparisonImpl(DspyImplementation):
    """``dspy.MultiChainComparison``: ``create(signature, M=3)``, executed with ``completions=[...]``.

    ``completions`` are M predictions or dicts with ``reasoning`` (or ``rationale``) and the
    signature's last output field, plus the signature's inputs.
    """

    module_type = "multi_chain_comparison"
    create_options = frozenset({"M", "temperature", "instructions", "demos"})
    call_options = frozenset({"config"})

    def build(self, spec: Any, *, M: int = 3, temperature: float = 0.7, instructions: str | None = None,  # noqa: N803
              demos: Any = None) -> Any:
        if not isinstance(M, int) or isinstance(M, bool) or M < 1:
            raise InputError(f"M must be a positive integer (the number of completions to compare), got {M!r}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # dspy's own MCC passes the deprecated prefix=
            module = dspy.MultiChainComparison(build_signature(spec, instructions), M=M, temperature=temperature)
        if demos is not None:
            set_demos(module, demos)
        return module

    def input_names(self, module: Any) -> tuple[frozenset[str], frozenset[str]]:
        names = frozenset(name for name in module.predict.signature.input_fields
                          if not name.startswith("reasoning_attempt_"))
        return names | {"completions"}, names | {"completions"}

    def call(self, module: Any, kwargs: dict[str, Any]) -> Any:
        kwargs["completions"] = self._completions(module, kwargs["completions"])
        return module(**kwargs)

    async def acall(self, module: Any, kwargs: dict[str, Any]) -> Any:
        kwargs["completions"] = self._completions(module, kwargs["completions"])
        return await module.acall(**kwargs)

    @staticmethod
    def _completions(module: Any, completions: Any) -> list[Any]:
        if isinstance(completions, (str, bytes, Mapping)) or not hasattr(completions, "__iter__"):
            raise InputError("completions must be a list of predictions or dicts")
        out = [to_dspy_prediction(c) if not isinstance(c, Mapping) else dict(c) for c in completions]
        if len(out) != module.M:
            raise InputError(f"multi_chain_comparison was created with M={module.M} and got {len(out)} completions; "
                             f"pass exactly M completions")
        for index, completion in enumerate(out):
            if completion.get("rationale", completion.get("reasoning")) is None:
                raise InputError(f"completions[{index}] has no 'reasoning' (or 'rationale') field")
            if module.last_key not in completion:
                raise InputError(f"completions[{index}] has no {module.last_key!r} field (the signature's last output)")
        return out
