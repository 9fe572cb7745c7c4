"""Optimizer cases: a program, a trainset, the optimizer's options, a metric and a scripted LM.

An :class:`OptimizerCase` creates its program (``predict`` or ``chain_of_thought`` on a generated
signature, sometimes with demos, an LM setting or the JSON adapter) on the backend under test
(or, when that backend serves the optimizer alone, where the router puts it), inside the run,
with the run's LM, creates the optimizer on the backend with the drawn options and
compiles (``dspex_core.compile``) with the trainset (and a valset where the optimizer takes one)
and the compile options; the result of a run is the compiled program as ``save()`` writes it,
without its ``metadata`` (``Prediction(program={...})``). The LM answers from the request alone
(:class:`._optimizer_script.CompileScript`), now and then with an unparseable reply, so the order
in which an optimizer's threads ask does not matter; when they do ask from several threads
(``num_threads > 1``) the requests are compared as a multiset (``ModuleCase.unordered``).

The metrics are deterministic functions of the example and the prediction (:data:`METRICS`): a
pass/fail and a graded score by hash, and an exact match on the labels. None of them raises and
``max_errors`` is set high wherever replies can be unparseable: a metric that raises and the
``max_errors``-th failure end a compile differently on each backend, by design
(docs/module-types.md, optimizers), so the kit does not compare them. Now and then a case makes
a mistake the optimizers refuse before any LM call (:data:`FAULTS`: examples without marked
inputs or marking the wrong ones, a valset where none is taken or an empty one, an unknown
compile option); both backends must then fail with the same class after no request.

The options of each optimizer (:data:`OPTIONS`) are kept small, because every case is a whole
compile: a few examples, few candidates, few rounds. ``mipro``/``mipro_v2`` run with
``auto=None``, a small ``num_candidates`` and ``num_trials``, a seed, and neither the program-
nor the data-aware proposer (the first shows the LM each backend's own program source, the
second summarises the data in many more requests).
"""

from __future__ import annotations

import contextlib
import copy
import io
from typing import Any, Callable, Iterator

from hypothesis import strategies as st

from dspex_core.testing._strategies_lm import REASONING, demos, inputs
from dspex_core.testing._strategies_signatures import SignatureSpec, signatures
from dspex_core.testing._strategies_values import values_for
from dspex_core.testing.conformance._module_case import ModuleCase, made_on
from dspex_core.testing.conformance._optimizer_script import CompileScript, digest

#: Output fields of the optimizers' own requests: a program's outputs may not take these names.
RESERVED = ("proposed_instruction", "proposed_prefix_for_output_field")
#: Mistakes refused before any LM call, now and then instead of "none".
FAULTS = ("none",) * 30 + ("unmarked", "unknown_input", "missing_input", "dict_example", "valset_not_taken",
                           "empty_valset", "unknown_compile_option")
#: Optimizers that compile without calling an LM (the contract's no-LM check does not apply).
NO_LM = ("labeled_few_shot",)
#: Optimizers whose ``compile`` takes a ``valset``.
TAKES_VALSET = ("bootstrap_few_shot_with_random_search", "mipro", "mipro_v2")


def _values(item: Any) -> dict[str, Any]:
    return {k: v for k, v in item.items()}


def passes_by_hash(example: Any, prediction: Any, trace: Any = None) -> bool:
    """Passes about two thirds of the examples, by a hash of the example and the prediction."""
    return digest(_values(example), _values(prediction)) % 3 != 0


def graded_by_hash(example: Any, prediction: Any, trace: Any = None) -> float:
    """0.0, 0.5 or 1.0, by a hash of the example and the prediction."""
    return (0.0, 0.5, 1.0)[digest("graded", _values(example), _values(prediction)) % 3]


def labels_match(example: Any, prediction: Any, trace: Any = None) -> bool:
    """Every label of the example equals the prediction's value of that field."""
    return all(prediction.get(name) == value for name, value in example.labels().items())


#: The metrics a case may use, by name (a case prints the name; ``None``: no metric).
METRICS: dict[str, Callable[..., Any]] = {"passes_by_hash": passes_by_hash, "graded_by_hash": graded_by_hash,
                                          "labels_match": labels_match}
_NUMERIC = ("graded_by_hash",)


def saved_program(compiled: Any) -> dict[str, Any]:
    """``compiled.save()``'s JSON without its ``metadata`` (library versions, not the program)."""
    import json
    import os
    import tempfile

    handle, path = tempfile.mkstemp(suffix=".json", prefix="dspex-kit-program-")
    os.close(handle)
    try:
        compiled.save(path)
        with open(path, encoding="utf-8") as file:
            saved = json.load(file)
    finally:
        os.unlink(path)
    saved.pop("metadata", None)
    return saved


class OptimizerCase(ModuleCase):
    """One compile of a program made in the case, with an optimizer made in the case."""

    operation = "compile"

    def __init__(self, module_type: str, program: str, sig: SignatureSpec, program_options: dict[str, Any],
                 program_demos: list[dict[str, Any]], optimizer_options: dict[str, Any], metric: str | None,
                 compile_options: dict[str, Any], trainset: list[dict[str, Any]], valset: list[dict[str, Any]] | None,
                 salt: int, broken_every: int, fault: str = "none"):
        super().__init__(module_type, {"trainset": trainset, "valset": valset}, optimizer_options, compile_options)
        self.program = program
        self.sig = sig
        self.program_options = program_options
        self.program_demos = program_demos
        self.metric = metric
        self.salt = salt
        self.broken_every = broken_every
        self.fault = fault

    @property
    def unordered(self) -> bool:
        """Whether the optimizer evaluates from several threads (requests compared as a multiset)."""
        threads = [self.create_options.get("num_threads"), (self.call_options.get("eval_kwargs") or {}).get(
            "num_threads")]
        return any(isinstance(n, int) and n > 1 for n in threads)

    def spec(self) -> None:
        return None

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """Optimizers also draw progress bars on stderr (DSPy's tqdm): keep them out of the test output."""
        with super().context(), contextlib.redirect_stderr(io.StringIO()):
            yield

    def script(self) -> Any:
        annotations = {f.name: f.annotation for f in self.sig.outputs}
        if self.program == "chain_of_thought":
            annotations = {REASONING.name: str, **annotations}
        return CompileScript(self.salt, self.broken_every, annotations)

    def pure_script(self) -> Any:
        return self.script()  # a function of the request already

    def make(self, backend: str, lm: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        import dspex_core

        options = copy.deepcopy(self.program_options)
        if lm is not None:
            options["lm"] = lm
        if self.program_demos:
            options["demos"] = [dict(d) for d in self.program_demos]
        program = dspex_core.create(self.program, self.sig.build(), implementation=made_on(backend, self.program),
                                    **options)
        optimizer_options = copy.deepcopy(self.create_options)
        if self.metric is not None:
            optimizer_options["metric"] = METRICS[self.metric]
        return None, optimizer_options, {"program": program, **copy.deepcopy(self.call_options)}

    def examples(self, rows: list[dict[str, Any]] | None) -> list[Any] | None:
        """The rows as a user passes them: ``Example(...).with_inputs(<the program's inputs>)``, or
        with the case's mistake."""
        from dspex_core import Example

        if rows is None:
            return None
        names = [f.name for f in self.sig.inputs]
        marked = {"unknown_input": [*names, self.sig.outputs[0].name], "missing_input": names[1:]}.get(self.fault,
                                                                                                       names)
        out: list[Any] = []
        for index, row in enumerate(rows):
            if index == 0 and self.fault == "unmarked":
                out.append(Example(**row))
            elif index == 0 and self.fault == "dict_example":
                out.append(dict(row))
            elif index == 0 and self.fault in ("unknown_input", "missing_input"):
                out.append(Example(**row).with_inputs(*marked))
            else:
                out.append(Example(**row).with_inputs(*names))
        return out

    def perform(self, ref: Any, inputs: dict[str, Any], *, program: Any, **compile_options: Any) -> Any:
        """Compile ``program`` with the optimizer ``ref`` and return the saved program."""
        import dspex_core

        compile_options = copy.deepcopy(compile_options)  # threads of the contract's check share the case
        sets: dict[str, Any] = {"trainset": self.examples(inputs["trainset"])}
        valset = self.examples(inputs.get("valset"))
        if self.fault == "empty_valset":
            valset = []
        elif self.fault == "valset_not_taken":
            valset = self.examples(inputs["trainset"])
        if valset is not None:
            sets["valset"] = valset
        if self.fault == "unknown_compile_option":
            compile_options["no_such_compile_option"] = 1
        compiled = dspex_core.compile(ref, program, **sets, **compile_options)
        return dspex_core.Prediction(program=saved_program(compiled))

    async def aperform(self, ref: Any, inputs: dict[str, Any], **call_options: Any) -> Any:
        """dspex has no async compile: the async run differs in ``acreate`` only."""
        return self.perform(ref, inputs, **call_options)

    def _repr_lines(self) -> list[str]:
        lines = [f"program={self.program!r} {self.sig!r} options={self.program_options!r},"]
        if self.program_demos:
            lines.append(f"program demos={self.program_demos!r},")
        lines.append(f"metric={self.metric!r}, script=CompileScript(salt={self.salt}, "
                     f"broken_every={self.broken_every}),")
        if self.fault != "none":
            lines.append(f"mistake={self.fault!r},")
        return lines

    def __repr__(self) -> str:
        lines = [f"OptimizerCase({self.module_type!r},", *(f"  {line}" for line in self._repr_lines()),
                 f"  optimizer options={self.create_options!r},", f"  compile options={self.call_options!r},",
                 "  trainset=[", *(f"    {row!r}," for row in self.inputs["trainset"]), "  ],"]
        if self.inputs.get("valset") is not None:
            lines += ["  valset=[", *(f"    {row!r}," for row in self.inputs["valset"]), "  ],"]
        return "\n".join(lines) + ")"


# -- each optimizer's options -----------------------------------------------------------------
def _threads() -> st.SearchStrategy[int]:
    return st.sampled_from([1, 1, 2])


@st.composite
def _labeled(draw: Any, metric: str | None, sets: int) -> tuple[dict[str, Any], dict[str, Any]]:
    return ({"k": draw(st.integers(0, 5))} if draw(st.booleans()) else {}), {"sample": draw(st.booleans())}


@st.composite
def _bootstrap(draw: Any, metric: str | None, sets: int) -> tuple[dict[str, Any], dict[str, Any]]:
    options = {"max_bootstrapped_demos": draw(st.integers(0, 3)), "max_labeled_demos": draw(st.integers(0, 4)),
               "max_rounds": draw(st.integers(1, 3)), "max_errors": 1000}
    if metric in _NUMERIC and draw(st.booleans()):
        options["metric_threshold"] = draw(st.sampled_from([0.5, 1.0]))
    return options, {}


@st.composite
def _random_search(draw: Any, metric: str | None, sets: int) -> tuple[dict[str, Any], dict[str, Any]]:
    options = {"max_bootstrapped_demos": draw(st.integers(1, 2)), "max_labeled_demos": draw(st.integers(0, 3)),
               "num_candidate_programs": draw(st.integers(0, 2)), "num_threads": draw(_threads()),
               "max_errors": 1000}
    if draw(st.booleans()):
        options["stop_at_score"] = draw(st.sampled_from([50.0, 100.0]))
    compile_options: dict[str, Any] = {"labeled_sample": draw(st.booleans())}
    if draw(st.integers(0, 3)) == 0:
        compile_options["restrict"] = draw(st.sampled_from([[-1, 0], [-3, 1], [-2]]))
    return options, compile_options


@st.composite
def _copro(draw: Any, metric: str | None, sets: int) -> tuple[dict[str, Any], dict[str, Any]]:
    options = {"breadth": draw(st.integers(2, 3)), "depth": draw(st.integers(1, 2)),
               "init_temperature": draw(st.sampled_from([1.4, 1.1, 0.7]))}
    return options, {"eval_kwargs": {"num_threads": draw(_threads()), "display_progress": False}}


@st.composite
def _mipro(draw: Any, metric: str | None, sets: int) -> tuple[dict[str, Any], dict[str, Any]]:
    options = {"auto": None, "num_candidates": draw(st.integers(2, 3)), "seed": draw(st.integers(0, 50)),
               "max_bootstrapped_demos": draw(st.integers(0, 2)), "max_labeled_demos": draw(st.integers(0, 2)),
               "num_threads": draw(_threads()), "max_errors": 1000, "verbose": False,
               "init_temperature": draw(st.sampled_from([1.0, 0.7]))}
    compile_options: dict[str, Any] = {"num_trials": draw(st.integers(1, 3)), "program_aware_proposer": False,
                                       "data_aware_proposer": False, "seed": options["seed"],
                                       "tip_aware_proposer": draw(st.booleans()),
                                       "fewshot_aware_proposer": draw(st.booleans()),
                                       "minibatch": draw(st.booleans())}
    if compile_options["minibatch"]:
        compile_options["minibatch_size"] = draw(st.integers(1, max(1, sets)))
        compile_options["minibatch_full_eval_steps"] = draw(st.integers(1, 2))
    return options, compile_options


#: Each covered optimizer's options: ``(metric, size of the set it scores on) -> (create options,
#: compile options)``, and the metrics it may get (``None``: no metric).
OPTIONS: dict[str, tuple[Callable[..., Any], tuple[str | None, ...]]] = {
    "labeled_few_shot": (_labeled, (None,)),
    "bootstrap_few_shot": (_bootstrap, (None, "passes_by_hash", "graded_by_hash", "labels_match")),
    "bootstrap_few_shot_with_random_search": (_random_search, ("passes_by_hash", "graded_by_hash", "labels_match")),
    "copro": (_copro, ("passes_by_hash", "graded_by_hash", "labels_match")),
    "mipro": (_mipro, ("passes_by_hash", "graded_by_hash", "labels_match")),
    "mipro_v2": (_mipro, ("passes_by_hash", "graded_by_hash", "labels_match")),
}


def minimal_options(module_type: str) -> dict[str, Any]:
    """Create options ``module_type`` surely accepts (for the contract's option checks)."""
    return {"metric": passes_by_hash} if OPTIONS[module_type][1] != (None,) else {}


@st.composite
def _rows(draw: Any, sig: SignatureSpec, min_size: int, max_size: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(min_size, max_size))):
        row = draw(inputs(sig))
        row.update({f.name: draw(values_for(f.annotation)) for f in sig.outputs})
        out.append(row)
    return out


@st.composite
def optimizer_cases(draw: Any, module_type: str, kinds: tuple[str, ...] = ("well_formed", "malformed")
                    ) -> OptimizerCase:
    """An :class:`OptimizerCase` for ``module_type``; with ``"malformed"`` in ``kinds`` some replies
    are unparseable and some cases make a mistake the optimizer must refuse."""
    malformed = "malformed" in kinds
    program = draw(st.sampled_from(["predict", "chain_of_thought"]))
    sig = draw(signatures(max_inputs=2, max_outputs=2).filter(
        lambda s: not any(f.name in RESERVED for f in s.outputs)))
    program_options: dict[str, Any] = draw(st.sampled_from(
        [{}] * 6 + [{"temperature": 0.5}, {"max_tokens": 64}, {"adapter": "json"}]))
    program_demos = draw(demos(sig, max_size=1)) if draw(st.integers(0, 5)) == 0 else []
    is_mipro = module_type in ("mipro", "mipro_v2")
    trainset = draw(_rows(sig, 2 if is_mipro else 1, 5))
    valset = draw(_rows(sig, 1, 3)) if module_type in TAKES_VALSET and draw(st.booleans()) else None
    make_options, metrics = OPTIONS[module_type]
    metric = draw(st.sampled_from(metrics))
    scored = len(valset) if valset is not None else max(1, int(len(trainset) * 0.8))
    optimizer_options, compile_options = draw(make_options(metric, scored))
    fault = draw(st.sampled_from(FAULTS)) if malformed else "none"
    if fault == "missing_input" and len(sig.inputs) < 2:
        fault = "unmarked"
    if fault == "valset_not_taken" and module_type in TAKES_VALSET:
        fault = "empty_valset"
    broken = draw(st.sampled_from([0, 0, 5, 7])) if malformed else 0
    return OptimizerCase(module_type, program, sig, program_options, program_demos, optimizer_options, metric,
                         compile_options, trainset, valset, draw(st.integers(0, 10**6)), broken, fault)
