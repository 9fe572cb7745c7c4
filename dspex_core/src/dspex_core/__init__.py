"""dspex: one API for DSPy-style language-model programs, served by backend plugins.

::

    import dspex_core as dspex

    dspex.configure(lm=dspex.LM("openai/gpt-4o-mini"))
    cot = dspex.ChainOfThought.create("question -> answer")
    cot(question="What is ML?").answer

Everything users need is re-exported here, and the facades (``dspex.Predict``, ...) are made
from the module-type table, one per module type that names one; the implementation lives in
private modules. Backend authors import :mod:`dspex_core.backend`. Plugin machinery
(``hookimpl``, which imports pluggy) and pipelines load on first access, so that
``import dspex_core`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from dspex_core import config, errors, registry, telemetry
from dspex_core._api import acreate, aexecute, compile, create, execute, load
from dspex_core._example import Completions, Example, Prediction
from dspex_core._foreign import dspy_call, wrap
from dspex_core._lm import LM, LanguageModel
from dspex_core._module_ref import ModuleRef
from dspex_core._session import Session, current_session, session
from dspex_core._signature import Field, InputField, OutputField, Signature
from dspex_core.config import configure, context, settings
from dspex_core.errors import (
    AdapterParseError,
    BackendNotInstalledError,
    BudgetExceededError,
    CapabilityError,
    ConfigError,
    ContextWindowExceededError,
    DspexError,
    EvaluationError,
    InputError,
    InputWarning,
    LMError,
    LMTimeoutError,
    ModuleTypeNotServedError,
    SandboxLimitError,
    SignatureError,
    StepError,
    UnknownModuleTypeError,
    UnknownPredictorError,
)
from dspex_core.modules import FACADES as _FACADES
from dspex_core.modules import ModuleFacade

__version__ = "0.1.0"

globals().update({_facade.__name__: _facade for _facade in _FACADES})

_LAZY = {
    "OfflineLM": ("dspex_core._offline_lm", "OfflineLM"),
    "History": ("dspex_core._conversation", "History"),
    "Image": ("dspex_core._image", "Image"),
    "ToolCalls": ("dspex_core._tool_calls", "ToolCalls"),
    "ToolCallResults": ("dspex_core._tool_calls", "ToolCallResults"),
    "map": ("dspex_core._map", "map"),
    "Program": ("dspex_core._program", "Program"),
    "inspect_history": ("dspex_core._history", "inspect_history"),
    "history": ("dspex_core._history", "history"),
    "hookimpl": ("dspex_core.hookspecs", "hookimpl"),
    "hookspec": ("dspex_core.hookspecs", "hookspec"),
    "Pipeline": ("dspex_core._pipeline", "Pipeline"),
    "PipelineResult": ("dspex_core._pipeline", "PipelineResult"),
    "PipelineStep": ("dspex_core._pipeline", "PipelineStep"),
    "StepResult": ("dspex_core._pipeline", "StepResult"),
    "pipeline": ("dspex_core._pipeline", "pipeline"),
    "run_pipeline": ("dspex_core._pipeline", "run_pipeline"),
    "arun_pipeline": ("dspex_core._pipeline", "arun_pipeline"),
    "track_usage": ("dspex_core.usage", "track_usage"),
    "UsageTracker": ("dspex_core.usage", "UsageTracker"),
    "register_prices": ("dspex_core._prices", "register_prices"),
    "StreamChunk": ("dspex_core._stream_chunk", "StreamChunk"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'dspex_core' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    # configuration and context
    "configure", "context", "settings", "config",
    # data model
    "Signature", "Field", "InputField", "OutputField", "Example", "Prediction", "Completions", "LM", "LanguageModel", "OfflineLM",
    "History", "Image", "ToolCalls", "ToolCallResults", "StreamChunk",
    # user API
    "create", "acreate", "execute", "aexecute", "compile", "load", "map", "ModuleRef", "Program", "inspect_history", "history",
    "session", "Session",
    "current_session", "pipeline", "run_pipeline", "arun_pipeline", "Pipeline", "PipelineResult",
    "PipelineStep", "StepResult",
    # the escape hatch to dspy (and ModuleRef.unwrap())
    "wrap", "dspy_call",
    # facades: ModuleFacade and one subclass per module type of the table that names one
    "ModuleFacade", *(_facade.__name__ for _facade in _FACADES),
    # plugins and observability
    "registry", "telemetry", "hookimpl", "hookspec",
    # usage, cost and budgets (callbacks are a settings key: configure(callbacks=[...]))
    "track_usage", "UsageTracker", "register_prices", "BudgetExceededError",
    # errors
    "errors", "DspexError", "InputError", "SignatureError", "ConfigError", "UnknownModuleTypeError",
    "BackendNotInstalledError", "ModuleTypeNotServedError", "CapabilityError", "LMError",
    "LMTimeoutError", "ContextWindowExceededError", "AdapterParseError", "SandboxLimitError",
    "StepError", "EvaluationError", "InputWarning", "UnknownPredictorError",
    "__version__",
]
