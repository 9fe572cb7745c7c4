"""The layer's DSPy names that ``import dspy`` does not load: read on first use (``dspy.Evaluate``,
``dspy.Parallel``...), so ``import dspy`` stays fast; each is looked up where DSPy exports it."""

from __future__ import annotations

import importlib
from typing import Any

from dspex_compat._not_built import not_built

__all__ = ["LAZY", "lazy_attribute"]

_MODULES = ("Evaluate", "_evaluate"), ("EvaluationResult", "_evaluate"), ("Parallel", "_parallel"), \
    ("majority", "_aggregation"), ("BestOfN", "_best_of_n"), ("Refine", "_refine"), \
    ("MultiChainComparison", "_multi_chain_comparison"), ("asyncify", "_asyncify"), ("syncify", "_syncify"), \
    ("track_usage", "_usage_tracker"), ("BaseCallback", "_callback"), \
    ("with_callbacks", "_callback"), ("answer_exact_match", "_metrics"), ("answer_passage_match", "_metrics"), \
    ("normalize_text", "_metrics"), ("EM", "_metrics"), \
    ("SemanticF1", "_auto_evaluation"), ("CompleteAndGrounded", "_auto_evaluation"), \
    ("ReAct", "_react"), ("Tool", "_tool"), ("AdapterParseError", "_exceptions"), \
    ("ContextWindowExceededError", "_exceptions"), ("RLM", "_rlm"), ("LocalInterpreter", "_interpreter_local"), \
    ("BootstrapFewShotWithRandomSearch", "_random_search"), ("COPRO", "_copro"), \
    ("KNNFewShot", "_knn_few_shot"), ("KNN", "_knn"), ("Embedder", "_embedder"), \
    ("streamify", "_streaming"), ("StreamListener", "_streaming"), ("apply_sync_streaming", "_streaming"), \
    ("StreamResponse", "_stream_sink"), ("StatusMessage", "_stream_sink"), \
    ("StatusMessageProvider", "_status_messages")
_WHERE = dict(_MODULES)

_SUBPACKAGES = frozenset({"evaluate", "streaming"})
#: shim package -> the names it serves lazily
LAZY: dict[str, frozenset[str]] = {
    "dspy": frozenset({"Evaluate", "Parallel", "majority", "BestOfN", "Refine", "MultiChainComparison", "asyncify",
                       "syncify", "track_usage", "ReAct", "Tool", "AdapterParseError",
                       "ContextWindowExceededError", "RLM", "LocalInterpreter", "BootstrapFewShotWithRandomSearch",
                       "COPRO", "KNNFewShot", "KNN", "Embedder", "streamify"}),
    "dspy.teleprompt": frozenset({"BootstrapFewShotWithRandomSearch", "COPRO", "KNNFewShot"}),
    "dspy.clients": frozenset({"Embedder"}),
    "dspy.streaming": frozenset({"streamify", "StreamListener", "apply_sync_streaming", "StreamResponse",
                                 "StatusMessage", "StatusMessageProvider"}),
    "dspy.predict": frozenset({"Parallel", "majority", "BestOfN", "Refine", "MultiChainComparison", "ReAct", "Tool",
                               "RLM", "KNN"}),
    "dspy.evaluate": frozenset({"Evaluate", "EvaluationResult", "answer_exact_match", "answer_passage_match",
                                "normalize_text", "EM", "SemanticF1", "CompleteAndGrounded"}),
    "dspy.utils": frozenset({"BaseCallback", "with_callbacks", "syncify"}),
}


def lazy_attribute(module: str, name: str) -> Any:
    """``module.name`` when the layer serves it (imported now), else DSPy's not-built error."""
    if name in LAZY.get(module, ()):
        return getattr(importlib.import_module(f"dspex_compat.{_WHERE[name]}"), name)
    if module == "dspy" and name in _SUBPACKAGES:
        return importlib.import_module(f"dspy.{name}")
    raise not_built(module, name)
