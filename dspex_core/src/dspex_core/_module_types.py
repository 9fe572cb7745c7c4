"""The table of module types: every kind of module dspex knows, in one place.

Each row is a :class:`ModuleType`. Everything else that lists module types is derived from
this table: the facades (``dspex.Predict``, ...), ``dspex_core.__all__``, which fields a pipeline
step adds, which saved programs can be loaded, the conformance kit's list, ``docs/module-types.md``
and the README's table; tests fail when one of them disagrees with it.

A backend may register a module type that is not in the table (a type of its own); the router
serves it, but it has no facade and the kit reports it as not covered. Adding a module type to
dspex means one row here and one file per backend that serves it (see docs/architecture.md).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

#: ``ModuleType.kind`` values.
MODULE = "module"          # a program called on inputs (Predict, ReAct, Refine, ...)
STEP = "step"              # a pipeline step that reshapes or checks values (signature, template, validator)
METRIC = "metric"          # scores a prediction (``metrics``)
EVALUATION = "evaluation"  # scores a program on a devset (``evaluate``)
OPTIMIZER = "optimizer"    # compiles a program (``dspex.compile(optimizer, program, trainset=...)``)
RETRIEVER = "retriever"    # returns passages for a query
KINDS = (MODULE, STEP, METRIC, EVALUATION, OPTIMIZER, RETRIEVER)

#: ``ModuleType.spec`` values: what ``create``'s first argument is.
SIGNATURE = "signature"      # a signature string, ``Signature`` or class-based signature
WRAPPED = "module"           # a ``ModuleRef`` to wrap
TEMPLATE = "template"        # a template string (also accepted as the ``template=`` option)
METRIC_NAME = "metric name"  # ``"exact_match"``, ``"f1"``, ...
NO_SPEC = "none"             # nothing: everything comes as options
OBJECT = "object"            # a backend's own object to serve as a module (``dspex.wrap(dspy_module)``)
SPECS = (SIGNATURE, WRAPPED, TEMPLATE, METRIC_NAME, NO_SPEC, OBJECT)


class ModuleType:
    """One module type: its name, the facade users create it by, and what it takes and adds.

    ``extra_inputs``/``extra_outputs`` are fields the module type reads or produces beyond its
    signature's (``chain_of_thought`` adds ``reasoning``); pipelines use them to check steps.
    ``saved_predictor`` says where a saved DSPy program of this type keeps its one predictor's
    state: ``""`` at the top level (``dspy.Predict``), ``"predict"`` under that key
    (``dspy.ChainOfThought``), ``None`` when such a program cannot be rebuilt from a file.
    ``may_return_none``: ``execute`` may return ``None`` instead of a ``Prediction``, as DSPy's
    module does (``BestOfN``/``Refine`` when every attempt failed without raising); for every
    other type a result that is not a ``Prediction`` is the backend's bug (a ``PluginError``).
    """

    __slots__ = ("name", "facade", "kind", "spec", "extra_inputs", "extra_outputs", "saved_predictor", "summary",
                 "may_return_none")

    name: str
    facade: str | None
    kind: str
    spec: str
    extra_inputs: tuple[str, ...]
    extra_outputs: tuple[str, ...]
    saved_predictor: str | None
    summary: str
    may_return_none: bool

    def __init__(self, name: str, facade: str | None, kind: str, spec: str, summary: str, *,
                 extra_inputs: tuple[str, ...] = (), extra_outputs: tuple[str, ...] = (),
                 saved_predictor: str | None = None, may_return_none: bool = False):
        if not name.isidentifier() or name != name.lower():
            raise ValueError(f"a module type is a snake_case name, got {name!r}")
        if facade is not None and not facade.isidentifier():
            raise ValueError(f"{name}: the facade must be an identifier, got {facade!r}")
        if kind not in KINDS:
            raise ValueError(f"{name}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if spec not in SPECS:
            raise ValueError(f"{name}: spec must be one of {', '.join(SPECS)}, got {spec!r}")
        init = object.__setattr__
        for key, value in (("name", name), ("facade", facade), ("kind", kind), ("spec", spec),
                           ("extra_inputs", tuple(extra_inputs)), ("extra_outputs", tuple(extra_outputs)),
                           ("saved_predictor", saved_predictor), ("summary", summary),
                           ("may_return_none", bool(may_return_none))):
            init(self, key, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a ModuleType is a row of the module-type table and cannot change")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModuleType) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"ModuleType({self.name!r}, facade={self.facade!r}, kind={self.kind!r}, spec={self.spec!r})"


_ROWS = (
    # pipeline steps, metrics and evaluation
    ModuleType("signature", "Signature", STEP, SIGNATURE,
               "A typed step: coerce the inputs to their declared types, then ask the LM for the outputs (if any)."),
    ModuleType("template", "Template", STEP, TEMPLATE, "Render a text template from the running state."),
    ModuleType("validator", "Validator", STEP, SIGNATURE, "Check values against a signature's types."),
    ModuleType("metrics", "Metrics", METRIC, METRIC_NAME, "Score predictions: exact match, F1, passage match."),
    ModuleType("evaluate", "Evaluate", EVALUATION, NO_SPEC, "Score a program on a devset with a metric."),
    # modules
    ModuleType("predict", "Predict", MODULE, SIGNATURE, "Ask the LM for a signature's outputs (DSPy's Predict).",
               saved_predictor=""),
    ModuleType("chain_of_thought", "ChainOfThought", MODULE, SIGNATURE, "Predict with a reasoning field first.",
               extra_outputs=("reasoning",), saved_predictor="predict"),
    ModuleType("react", "ReAct", MODULE, SIGNATURE,
               "Reason and act with tools: create(signature, tools=[...], max_iters=...).",
               extra_outputs=("trajectory",)),
    ModuleType("program_of_thought", "ProgramOfThought", MODULE, SIGNATURE, "Answer by writing and running code."),
    ModuleType("multi_chain_comparison", "MultiChainComparison", MODULE, SIGNATURE,
               "Compare M reasoning attempts: create(signature, M=...), execute with completions=.",
               extra_inputs=("completions",), extra_outputs=("rationale",)),
    ModuleType("code_act", "CodeAct", MODULE, SIGNATURE,
               "Act by writing code that calls tools in a sandbox (DSPy's CodeAct): create(signature, tools=[...]).",
               extra_outputs=("trajectory",)),
    ModuleType("rlm", "RLM", MODULE, SIGNATURE,
               "A recursive LM over long contexts: it writes code in a sandbox to read them and ask sub-LMs "
               "(DSPy's RLM).", extra_outputs=("trajectory", "final_reasoning")),
    ModuleType("flex", "Flex", MODULE, SIGNATURE,
               "A module whose implementation is code that GEPA can rewrite, run in a sandbox (DSPy's Flex)."),
    ModuleType("dspy_module", "DspyModule", MODULE, OBJECT,
               "A dspy module built by hand, served as a dspex module: dspex.wrap(module)."),
    ModuleType("retry", "Retry", MODULE, WRAPPED,
               "Run a module until a reward passes: create(ref, N=, reward_fn=, threshold=).", may_return_none=True),
    ModuleType("best_of_n", "BestOfN", MODULE, WRAPPED, "Run a module N times and keep the best by reward.",
               may_return_none=True),
    ModuleType("refine", "Refine", MODULE, WRAPPED, "Run a module up to N times with feedback until a reward passes.",
               may_return_none=True),
    ModuleType("parallel", "Parallel", MODULE, WRAPPED,
               "Run one module over many inputs at once (DSPy's Parallel): create(ref, num_threads=...), "
               "execute with examples=[...].", extra_inputs=("examples",)),
    ModuleType("lm", None, MODULE, NO_SPEC,
               "Call the LM with messages, as dspy.LM.__call__: execute(messages=[...]) or execute(prompt=...), "
               "LM settings as config=; outputs is the list of completions."),
    # optimizers
    ModuleType("labeled_few_shot", "LabeledFewShot", OPTIMIZER, NO_SPEC, "Optimizer: use labeled examples as demos."),
    ModuleType("bootstrap_few_shot", "BootstrapFewShot", OPTIMIZER, NO_SPEC,
               "Optimizer: bootstrap demos from a trainset."),
    ModuleType("bootstrap_few_shot_with_random_search", "BootstrapFewShotWithRandomSearch", OPTIMIZER, NO_SPEC,
               "Optimizer: bootstrap several demo sets and keep the best."),
    ModuleType("copro", "COPRO", OPTIMIZER, NO_SPEC, "Optimizer: coordinate ascent over instructions."),
    ModuleType("mipro", "MIPRO", OPTIMIZER, NO_SPEC, "Optimizer: instructions and demos by Bayesian search."),
    ModuleType("mipro_v2", "MIPROv2", OPTIMIZER, NO_SPEC, "Optimizer: DSPy's MIPROv2."),
    ModuleType("knn_few_shot", "KNNFewShot", OPTIMIZER, NO_SPEC,
               "Optimizer: demos chosen per input by nearest neighbours."),
    ModuleType("ensemble", "Ensemble", OPTIMIZER, NO_SPEC,
               "Optimizer: combine several programs into one: dspex.compile(ensemble, [ref, ...])."),
    ModuleType("simba", "SIMBA", OPTIMIZER, NO_SPEC, "Optimizer: DSPy's SIMBA (stochastic introspective mini-batch "
                                                     "ascent)."),
    ModuleType("gepa", "GEPA", OPTIMIZER, NO_SPEC, "Optimizer: DSPy's GEPA (reflective prompt evolution)."),
    ModuleType("infer_rules", "InferRules", OPTIMIZER, NO_SPEC,
               "Optimizer: bootstrap demos, then add natural-language rules induced from them to the instructions."),
    ModuleType("better_together", "BetterTogether", OPTIMIZER, NO_SPEC,
               "Optimizer: run other optimizers in sequence and keep the best program (prompt optimizers only)."),
    ModuleType("bootstrap_finetune", None, OPTIMIZER, NO_SPEC, "Optimizer: fine-tune the LM on bootstrapped traces."),
    # retrieval
    ModuleType("colbert_v2", "ColBERTv2", RETRIEVER, NO_SPEC, "A ColBERTv2 server as a retriever: create(url=...)."),
    ModuleType("retrieve", "Retrieve", RETRIEVER, NO_SPEC, "Retrieve k passages with the configured retriever."),
)

_TABLE: Mapping[str, ModuleType] = MappingProxyType({row.name: row for row in _ROWS})


def module_types() -> Mapping[str, ModuleType]:
    """Every module type dspex knows: name -> :class:`ModuleType`, in the table's order."""
    return _TABLE


def module_type(name: str) -> ModuleType | None:
    """The table's row for ``name``, or ``None`` for a type the table does not know."""
    return _TABLE.get(name)
