"""Host side of the sandbox dspy facade: sub-agents that code in RLM's REPL builds with ``import dspy``.

RLM registers two tools in its interpreter and runs :data:`SHIM_SETUP` (``_facade_shim.py``) there,
which gives the code a stand-in ``dspy`` module. Only JSON crosses the boundary:

- ``__dspy_construct__(kind, signature, attr_name, kwargs)``: build a real predictor (``Predict``,
  ``ChainOfThought``, ``RLM``: the layer's, so dspex references) and return its handle;
- ``__dspy_call__(handle, inputs)``: run it and return its prediction's fields as JSON.

Tools travel as name markers resolved against RLM's own tools; a ``dspy.Signature(...)`` as a
``__dspy_sig__`` payload. A sub-agent's LM calls go through :class:`SandboxLM`, which admits only
generation settings and charges RLM's ``max_llm_calls`` budget (one per completion); a
code-executing sub-agent (a nested RLM) runs on the same interpreter factory as its parent.
Everything per call lives in one :class:`FacadeInvocation`.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import secrets
from pathlib import Path
from typing import Any, Callable

import dspex_core

from dspex_compat._dspy_errors import LMError
from dspex_compat._interpreter import CodeInterpreterError
from dspex_compat._lm import BaseLM
from dspex_compat._settings import settings
from dspex_compat._signature import make_signature

__all__ = ["CONSTRUCT_TOOL", "CALL_TOOL", "BRIDGEABLE_KINDS", "SHIM_SETUP", "HOST_PROCESS_TOKEN",
           "is_reserved_sandbox_name", "SandboxLM", "FacadeInvocation"]

CONSTRUCT_TOOL = "__dspy_construct__"
CALL_TOOL = "__dspy_call__"
#: The constructors the shim offers (DSPy's list; the layer builds those it serves).
BRIDGEABLE_KINDS = ("Predict", "ChainOfThought", "RLM", "CodeAct", "ProgramOfThought", "ReAct", "ReActV2")
SIGNATURE_MARKER = "__dspy_sig__"
TOOL_MARKER = "__dspy_tool__"
SHIM_SETUP = (Path(__file__).parent / "_facade_shim.py").read_text(encoding="utf-8")
HOST_TOKEN_VAR = "__dspy_host_token"
#: Lets the shim tell the host's own memory (rebind ``import dspy`` locally) from a separate process.
HOST_PROCESS_TOKEN = secrets.token_hex(16)
#: Generation settings sandboxed code may set per LM call (routing, credentials and transport may not).
SANDBOX_LM_KWARGS = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "n", "seed",
    "logprobs", "top_logprobs", "response_format",
    "reasoning", "reasoning_effort",
    "tools", "tool_choice", "parallel_tool_calls",
    "cache", "rollout_id", "prompt_cache", "prompt_cache_key",
})
_LM_CALL_INPUTS = frozenset({"prompt", "messages", "request"})


def is_reserved_sandbox_name(name: str) -> bool:
    """Names the facade owns in the sandbox: ``dspy`` and the ``_dspy``/``__dspy`` prefixes."""
    return name == "dspy" or name.startswith(("_dspy", "__dspy"))


def _jsonable(value: Any) -> Any:
    from pydantic_core import PydanticSerializationError, to_jsonable_python

    try:
        return to_jsonable_python(value)
    except PydanticSerializationError:
        return value


def prediction_to_fields(pred: Any) -> dict[str, Any]:
    """A host prediction's fields as JSON for the sandbox."""
    store = getattr(pred, "_store", None)
    if store is None:
        if not isinstance(pred, dict):
            raise CodeInterpreterError(f"A bridged predictor must return a dspy.Prediction; got {type(pred).__name__}")
        store = pred
    fields = {k: _jsonable(v) for k, v in dict(store).items()}
    try:
        json.dumps(fields)
    except TypeError as e:
        raise CodeInterpreterError("A bridged predictor returned a field that cannot cross the sandbox boundary "
                                   f"(must be JSON-serializable): {e}") from e
    return fields


class SandboxLM(BaseLM):
    """The host LM as sandboxed code may use it: only :data:`SANDBOX_LM_KWARGS` per call, and
    ``reserve(n)`` before each call, one unit per requested completion."""

    def __init__(self, lm: Any, reserve: Callable[[int], None] | None = None) -> None:
        super().__init__(model=getattr(lm, "model", None), model_type=getattr(lm, "model_type", "chat"))
        self.kwargs = {k: v for k, v in (getattr(lm, "kwargs", None) or {}).items() if k in SANDBOX_LM_KWARGS}
        self._lm = lm
        self._reserve = reserve

    @staticmethod
    def _check(kwargs: dict[str, Any]) -> None:
        rejected = sorted(kwargs.keys() - _LM_CALL_INPUTS - SANDBOX_LM_KWARGS)
        if rejected:
            raise TypeError(f"Sandboxed code may not set LM option(s) {rejected}; allowed per call: "
                            f"{sorted(SANDBOX_LM_KWARGS)}.")

    def _admit(self, kwargs: dict[str, Any]) -> None:
        self._check(kwargs)
        if self._reserve is not None:
            self._reserve(max(1, int(kwargs.get("n", self.kwargs.get("n")) or 1)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._admit(kwargs)
        return self._lm(*args, **kwargs)

    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        self._admit(kwargs)
        return await self._lm.acall(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        self._admit(kwargs)
        return self._lm.forward(*args, **kwargs)

    async def aforward(self, *args: Any, **kwargs: Any) -> Any:
        self._admit(kwargs)
        return await self._lm.aforward(*args, **kwargs)

    def copy(self, **kwargs: Any) -> "SandboxLM":
        self._check(kwargs)
        return SandboxLM(self._lm.copy(**kwargs), self._reserve)


class FacadeInvocation:
    """One call's host side of the facade: builds the predictors the shim asks for (by attribute
    name) from ``kinds`` and the module's tools, and runs them on a :class:`SandboxLM`."""

    def __init__(self, tools: dict[str, Any], interpreter_factory: Callable[[], Any], kinds: dict[str, Any], *,
                 lm: Any = None, reserve: Callable[[int], None] | None = None) -> None:
        self._tools = tools
        self._interpreter_factory = interpreter_factory
        self._kinds = kinds
        self._lm = lm
        self._reserve = reserve
        self._predictors: dict[str, Any] = {}
        self._calls = 0

    def install(self, interpreter: Any) -> None:
        """Register the shim's host tools, then run the shim in the interpreter."""
        interpreter.tools.update({CONSTRUCT_TOOL: self.construct, CALL_TOOL: self.call})
        interpreter.execute(SHIM_SETUP, variables={HOST_TOKEN_VAR: HOST_PROCESS_TOKEN})

    def construct(self, kind: str, signature: Any, attr_name: str, kwargs: dict[str, Any] | None = None) -> str:
        if kind not in BRIDGEABLE_KINDS:
            raise CodeInterpreterError(f"dspy.{kind} is not supported through the sandbox dspy bridge yet "
                                       f"(bridgeable: {', '.join(BRIDGEABLE_KINDS)})")
        self._predictors[attr_name] = self._build(kind, signature, kwargs)
        return attr_name

    def call(self, handle: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        self._calls += 1
        predictor = self._predictors.get(handle)
        if predictor is None:
            raise CodeInterpreterError(f"Unknown predictor handle: {handle!r}")
        try:
            with self._lm_scope():
                return prediction_to_fields(predictor(**(inputs or {})))
        except (LMError, dspex_core.LMError) as e:
            raise CodeInterpreterError(f"[dspy bridge lm-error #{self._calls}] {type(e).__name__}: {e}") from e

    def _lm_scope(self) -> contextlib.AbstractContextManager[Any]:
        lm = self._lm if self._lm is not None else settings.lm
        if lm is None:
            return contextlib.nullcontext()
        if isinstance(lm, SandboxLM) and self._reserve is None:
            return settings.context(lm=lm)
        return settings.context(lm=SandboxLM(lm, self._reserve))

    def _build(self, kind: str, signature: Any, kwargs: dict[str, Any] | None) -> Any:
        cls = self._kinds.get(kind)
        if cls is None:
            raise CodeInterpreterError(f"dspy.{kind} is not built in dspex-compat yet, so sandboxed code cannot "
                                       f"build it (available: {', '.join(self._kinds)})")
        if "interpreter_factory" in (kwargs or {}):
            raise CodeInterpreterError(f"dspy.{kind} built in the sandbox runs on the host module's interpreter; "
                                       "sandboxed code cannot choose its interpreter_factory.")
        extra = {k: self._decode_tools(v) for k, v in (kwargs or {}).items()}
        try:
            takes_factory = "interpreter_factory" in inspect.signature(cls.__init__).parameters
        except (TypeError, ValueError):
            takes_factory = False
        if takes_factory:
            extra["interpreter_factory"] = self._interpreter_factory
        if isinstance(signature, dict) and signature.get(SIGNATURE_MARKER):
            signature = make_signature(signature["signature"], signature.get("instructions"))
        elif isinstance(signature, str):
            signature = make_signature(signature)
        return cls(signature, **extra)

    def _decode_tools(self, value: Any) -> Any:
        if isinstance(value, dict) and TOOL_MARKER in value:
            name = value[TOOL_MARKER]
            if name not in self._tools:
                raise CodeInterpreterError(
                    f"Sandboxed code referenced tool {name!r}, which was not provided to the host module's tools. "
                    "Functions authored inside the sandbox cannot be handed to a bridged sub-predictor.")
            return self._tools[name]
        if isinstance(value, list):
            return [self._decode_tools(v) for v in value]
        if isinstance(value, dict):
            return {k: self._decode_tools(v) for k, v in value.items()}
        return value
