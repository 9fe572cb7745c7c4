"""``metrics`` through ``dspy.evaluate.metrics``: score predictions by name.

``Metrics.create("f1")`` makes one metric; executing it with the inputs the metric takes
(see docs/module-types.md) gives ``Prediction(score=...)`` (``normalize_text``:
``Prediction(text=...)``), computed by dspy's own functions so that scores match plain dspy's.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Prediction
from dspex_core.errors import CapabilityError, InputError

from dspex_dspy._base import DspyImplementation, check_options
from dspex_dspy.store import entry, put
from dspex_dspy.translate import to_dspy_example, to_dspy_prediction


def _refs(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InputError(f"{name} must be a string or a list of strings, got {value!r}")


class MetricsImpl(DspyImplementation):
    """dspy's metrics: ``exact_match``, ``f1``, ``normalize_text``, ``answer_exact_match``,
    ``answer_passage_match``, ``passage_match`` (see docs/module-types.md for inputs)."""

    module_type = "metrics"
    create_options = frozenset({"frac"})
    needs_lm = False
    has_state = False  # the stored object is the metric's name and options
    unwrappable = False
    INPUTS = {
        "exact_match": ("prediction", "reference"), "f1": ("prediction", "reference"),
        "normalize_text": ("text",), "answer_exact_match": ("example", "pred"),
        "answer_passage_match": ("example", "pred"), "passage_match": ("passages", "answers"),
    }

    def create(self, spec: Any, **options: Any) -> str:
        if spec not in self.INPUTS:
            raise InputError(f"unknown metric {spec!r}; metrics: {', '.join(self.INPUTS)}")
        check_options(self.module_type, options, self.create_options)
        frac = options.get("frac", 1.0)
        if spec != "answer_exact_match" and "frac" in options:
            raise InputError("frac= only applies to the answer_exact_match metric")
        if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0 <= frac <= 1:
            raise InputError(f"frac must be a number between 0 and 1, got {frac!r}")
        return put(self.module_type, {"name": spec, "frac": float(frac)}, meta={"inputs": None})

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        from dspy.evaluate import metrics

        config, _ = entry(state)
        name = config["name"]
        expected = self.INPUTS[name]
        if options:
            raise InputError(f"unknown call option(s) {sorted(options)} for metrics")
        if set(inputs) != set(expected):
            raise InputError(f"the {name} metric takes {', '.join(expected)}; got {', '.join(sorted(inputs)) or 'nothing'}")
        try:
            if name == "exact_match":
                return Prediction(score=metrics.EM(inputs["prediction"], _refs(inputs["reference"], "reference")))
            if name == "f1":
                return Prediction(score=metrics.F1(inputs["prediction"], _refs(inputs["reference"], "reference")))
            if name == "normalize_text":
                if not isinstance(inputs["text"], str):
                    raise InputError(f"text must be a string, got {inputs['text']!r}")
                return Prediction(text=metrics.normalize_text(inputs["text"]))
            if name == "passage_match":
                return Prediction(score=metrics._passage_match(_refs(inputs["passages"], "passages"),
                                                               _refs(inputs["answers"], "answers")))
            example, pred = to_dspy_example(inputs["example"]), to_dspy_prediction(inputs["pred"])
            if name == "answer_exact_match":
                return Prediction(score=metrics.answer_exact_match(example, pred, frac=config["frac"]))
            return Prediction(score=metrics.answer_passage_match(example, pred))
        except (ValueError, AttributeError, KeyError, TypeError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"the {name} metric cannot score these inputs: {type(exc).__name__}: {exc}") from exc

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        return self.execute(state, inputs, **options)

    def describe(self, state: str) -> dict[str, Any]:
        config, _ = entry(state)
        return {"module_id": state, **config}

    def save(self, state: str, path: Any) -> None:
        raise CapabilityError("metrics have no state to save")


implementation = MetricsImpl()
