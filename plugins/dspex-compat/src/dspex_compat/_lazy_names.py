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
    ("ReAct", "_react"), ("ReActV2", "_react_v2"), ("Tool", "_tool"), ("ToolCallResults", "dspex_core"), \
    ("RLM", "_rlm"), ("LocalInterpreter", "_interpreter_local"), \
    ("BootstrapFewShotWithRandomSearch", "_random_search"), ("COPRO", "_copro"), \
    ("BetterTogether", "_bettertogether"), \
    ("KNNFewShot", "_knn_few_shot"), ("KNN", "_knn"), ("Embedder", "_embedder"), \
    ("Embeddings", "_embeddings"), ("EmbeddingsWithScores", "_embeddings"), \
    ("streamify", "_streaming"), ("StreamListener", "_streaming"), ("apply_sync_streaming", "_streaming"), \
    ("StreamResponse", "_stream_sink"), ("StatusMessage", "_stream_sink"), \
    ("StatusMessageProvider", "_status_messages"), ("load", "_saving"), \
    ("TwoStepAdapter", "_adapter_two_step"), ("Type", "_types_base"), ("Image", "_types_image"), \
    ("Audio", "_types_audio"), ("File", "_types_file"), ("Code", "_types_code"), ("Reasoning", "_types_reasoning"), \
    ("Document", "_types_document"), ("Citations", "_types_citation"), ("History", "dspex_core"), \
    ("ToolCalls", "dspex_core"), ("ProgramOfThought", "_program_of_thought"), \
    ("CodeAct", "_code_act")
_WHERE = dict(_MODULES)

_SUBPACKAGES = frozenset({"evaluate", "streaming", "retrievers"})
#: DSPy's types (pydantic models, but History, ToolCalls and ToolCallResults, which are dspex's), served where DSPy
#: exports them
_TYPES = ("Type", "Image", "Audio", "File", "Code", "Reasoning", "History", "ToolCalls", "ToolCallResults")
#: shim package -> the names it serves lazily
LAZY: dict[str, frozenset[str]] = {
    "dspy": frozenset({"Evaluate", "Parallel", "majority", "BestOfN", "Refine", "MultiChainComparison", "asyncify",
                       "syncify", "track_usage", "ReAct", "ReActV2", "Tool", "RLM", "LocalInterpreter", "BootstrapFewShotWithRandomSearch",
                       "BetterTogether", "COPRO", "KNNFewShot", "KNN", "Embedder", "Embeddings", "EmbeddingsWithScores",
                       "streamify", *_TYPES,
                       "TwoStepAdapter", "load", "ProgramOfThought", "CodeAct"}),
    "dspy.teleprompt": frozenset({"BootstrapFewShotWithRandomSearch", "COPRO", "KNNFewShot", "BetterTogether"}),
    "dspy.clients": frozenset({"Embedder"}),
    "dspy.streaming": frozenset({"streamify", "StreamListener", "apply_sync_streaming", "StreamResponse",
                                 "StatusMessage", "StatusMessageProvider"}),
    "dspy.adapters": frozenset({*_TYPES, "TwoStepAdapter"}),
    "dspy.experimental": frozenset({"Citations", "Document"}),
    "dspy.predict": frozenset({"Parallel", "majority", "BestOfN", "Refine", "MultiChainComparison", "ReAct", "ReActV2",
                               "Tool", "RLM", "KNN", "ProgramOfThought", "CodeAct"}),
    "dspy.evaluate": frozenset({"Evaluate", "EvaluationResult", "answer_exact_match", "answer_passage_match",
                                "normalize_text", "EM", "SemanticF1", "CompleteAndGrounded"}),
    "dspy.utils": frozenset({"BaseCallback", "with_callbacks", "syncify"}),
}


def lazy_attribute(module: str, name: str) -> Any:
    """``module.name`` when the layer serves it (imported now), else DSPy's not-built error."""
    if name in LAZY.get(module, ()):
        where = _WHERE[name]
        try:
            found = importlib.import_module(where if where.startswith("dspex_core") else f"dspex_compat.{where}")
        except ModuleNotFoundError as exc:
            if exc.name != "pydantic":
                raise
            raise ImportError(f"dspy.{name} is a pydantic model, as in DSPy: install pydantic "
                              "(pip install 'dspex-compat[types]') to use DSPy's types") from exc
        return getattr(found, name)
    if module == "dspy" and name in _SUBPACKAGES:
        return importlib.import_module(f"dspy.{name}")
    raise not_built(module, name)
