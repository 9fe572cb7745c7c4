"""``evaluate`` cases: a devset, a program and a metric whose every answer is known in advance.

An :class:`EvaluateCase` is a generated devset (``Example(...).with_inputs(...)``), a
deterministic program (a table from an example's inputs to the prediction it returns, or to
the exception it raises) and a deterministic metric (a table from the inputs to a score, to
"does the prediction match the label?", or to an exception), plus ``max_errors`` and
``failure_score``. It runs with ``num_threads=1`` so the order of failures, and so the point
where ``max_errors`` stops the run, is the same on every backend. Tables rather than code keep
the minimal failing case hypothesis prints readable, and the outcome independent of the backend
that runs it.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from hypothesis import strategies as st

from dspex_core.testing._strategies_signatures import field_names

#: Exceptions the generated program and metric raise (the classes must survive any backend).
ERRORS: dict[str, type[Exception]] = {"ValueError": ValueError, "KeyError": KeyError, "RuntimeError": RuntimeError,
                                      "ZeroDivisionError": ZeroDivisionError}
#: Input and label values: few, so that devsets repeat inputs and answers match labels.
_VALUES = ("Paris", "paris", "4", "", "yes", "no")


class Raise:
    """A table entry that raises ``kind`` (printed as ``raises ValueError``)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return f"raises {self.kind}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raise) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)


MATCH = "match"  # metric entry: the prediction's answer equals the example's label (a bool)


class EvaluateCase:
    """One evaluation: devset rows, the program's and the metric's tables, and the options."""

    module_type = "evaluate"
    __slots__ = ("input_keys", "label", "rows", "program_table", "metric_table", "max_errors", "failure_score")

    def __init__(self, input_keys: tuple[str, ...], label: str, rows: list[dict[str, str]],
                 program_table: dict[tuple[str, ...], Any], metric_table: dict[tuple[str, ...], Any],
                 max_errors: int | None, failure_score: float):
        self.input_keys = input_keys
        self.label = label
        self.rows = rows
        self.program_table = program_table
        self.metric_table = metric_table
        self.max_errors = max_errors
        self.failure_score = failure_score

    # -- what running a case needs (see _outcome.run_case) --------------------------------------
    def spec(self) -> None:
        return None

    def key(self, values: Any) -> tuple[str, ...]:
        return tuple(values[k] for k in self.input_keys)

    def devset(self) -> list[Any]:
        from dspex_core import Example

        return [Example(**row).with_inputs(*self.input_keys) for row in self.rows]

    def program(self, **inputs: Any) -> Any:
        """The program under evaluation: a table lookup on the example's inputs."""
        from dspex_core import Prediction

        entry = self.program_table[self.key(inputs)]
        if isinstance(entry, Raise):
            raise ERRORS[entry.kind](f"the generated program raises on {self.key(inputs)!r}")
        return Prediction(**{self.label: entry})

    def metric(self, example: Any, prediction: Any, trace: Any = None) -> Any:
        """The metric: a table lookup, or whether the prediction's answer is the example's label."""
        key = tuple(example[k] for k in self.input_keys)
        entry = self.metric_table[key]
        if isinstance(entry, Raise):
            raise ERRORS[entry.kind](f"the generated metric raises on {key!r}")
        if entry == MATCH:
            return prediction.get(self.label) == example.get(self.label)
        return entry

    @property
    def create_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"devset": self.devset(), "metric": self.metric, "num_threads": 1,
                                   "failure_score": self.failure_score, "display_progress": False}
        if self.max_errors is not None:
            options["max_errors"] = self.max_errors
        return options

    @property
    def inputs(self) -> dict[str, Any]:
        return {"program": self.program}

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """Evaluations log every failing example; the generated failures are expected, so mute them."""
        import logging

        previous = logging.root.manager.disable
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(previous)

    def __repr__(self) -> str:
        lines = [f"EvaluateCase(inputs={list(self.input_keys)!r}, label={self.label!r}, "
                 f"max_errors={self.max_errors!r}, failure_score={self.failure_score!r},", "  devset=["]
        lines.extend(f"    {row!r}," for row in self.rows)
        lines.append("  ],")
        lines.append("  program={" + ", ".join(f"{k!r}: {v!r}" for k, v in self.program_table.items()) + "},")
        lines.append("  metric={" + ", ".join(f"{k!r}: {v!r}" for k, v in self.metric_table.items()) + "})")
        return "\n".join(lines)


@st.composite
def evaluate_cases(draw: Any, max_size: int = 8) -> EvaluateCase:
    """An :class:`EvaluateCase`: 1 to ``max_size`` examples, some of which make the program or the metric raise."""
    names = draw(st.lists(field_names(), min_size=2, max_size=3, unique=True))
    input_keys, label = tuple(names[:-1]), names[-1]
    value = st.sampled_from(_VALUES)
    rows = draw(st.lists(st.fixed_dictionaries({n: value for n in names}), min_size=1, max_size=max_size))
    keys = list(dict.fromkeys(tuple(row[k] for k in input_keys) for row in rows))
    raising = st.sampled_from(sorted(ERRORS)).map(Raise)
    program = {k: draw(st.one_of(value, value, value, raising)) for k in keys}
    score = st.one_of(st.just(MATCH), st.booleans(), st.integers(0, 3), st.sampled_from((0.0, 0.25, 0.5, 1.0)))
    metric = {k: draw(st.one_of(score, score, score, raising)) for k in keys}
    max_errors = draw(st.one_of(st.none(), st.integers(1, 4)))
    failure_score = draw(st.sampled_from((0.0, 0.0, 0.5, -1.0)))
    return EvaluateCase(input_keys, label, rows, program, metric, max_errors, failure_score)
