"""The native ``metrics`` module type: DSPy's answer metrics by name.

``dspex.create("metrics", "f1")`` makes a scorer; ``execute`` takes the inputs listed in
``docs/module-types.md`` and returns ``Prediction(score=...)`` (``normalize_text`` returns
``Prediction(text=...)``). The functions are :mod:`dspex_native.answer_metrics`.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, Prediction
from dspex_core.errors import InputError

from dspex_native.answer_metrics import (
    answer_exact_match,
    answer_passage_match,
    exact_match,
    f1,
    normalize_text,
    passage_match,
    show,
)

#: metric name -> (function, required inputs, output field)
METRICS: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "exact_match": (exact_match, ("prediction", "reference"), "score"),
    "f1": (f1, ("prediction", "reference"), "score"),
    "normalize_text": (normalize_text, ("text",), "text"),
    "answer_exact_match": (answer_exact_match, ("example", "pred"), "score"),
    "answer_passage_match": (answer_passage_match, ("example", "pred"), "score"),
    "passage_match": (passage_match, ("passages", "answers"), "score"),
}


class MetricsImplementation(Implementation):
    """``create(name, frac=1.0)`` then ``execute(state, inputs) -> Prediction(score=...)``."""

    module_type = "metrics"

    def create(self, spec: Any = None, **options: Any) -> tuple[str, dict[str, Any]]:
        name = options.pop("metric", None) if spec is None else spec
        if not isinstance(name, str) or name not in METRICS:
            raise InputError(f"unknown metric {name!r}; known metrics: {', '.join(METRICS)}")
        unknown = set(options) - ({"frac"} if name == "answer_exact_match" else set())
        if unknown:
            allowed = "frac" if name == "answer_exact_match" else "none"
            raise InputError(f"metric {name!r} got unknown options {sorted(unknown)}; allowed: {allowed}")
        params: dict[str, Any] = {}
        if "frac" in options:
            frac = options["frac"]
            if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0 <= frac <= 1:
                raise InputError(f"frac must be a number between 0 and 1 (1.0 means exact match), got {show(frac)}")
            params["frac"] = frac
        return name, params

    def execute(self, state: tuple[str, dict[str, Any]], inputs: Mapping[str, Any], **options: Any) -> Prediction:
        if options:
            raise InputError(f"metrics take no call options, got {sorted(options)}")
        name, params = state
        function, required, output = METRICS[name]
        missing = [key for key in required if key not in inputs]
        if missing:
            raise InputError(f"metric {name!r} needs inputs {list(required)}; missing: {missing}")
        extra = set(inputs) - set(required)
        if extra:
            raise InputError(f"metric {name!r} takes inputs {list(required)}; unexpected: {sorted(extra)}")
        if name in ("exact_match", "f1", "normalize_text"):
            first = required[0]
            if not isinstance(inputs[first], str):
                raise InputError(f"metric {name!r}: {first} must be a string, got {show(inputs[first])}")
        try:
            return Prediction({output: function(*(inputs[key] for key in required), **params)})
        except InputError:
            raise
        except (ValueError, AttributeError, KeyError, TypeError) as exc:  # e.g. a non-string answer
            raise InputError(f"the {name} metric cannot score these inputs: {type(exc).__name__}: {exc}") from exc

    async def aexecute(self, state: tuple[str, dict[str, Any]], inputs: Mapping[str, Any],
                       **options: Any) -> Prediction:
        return self.execute(state, inputs, **options)

    def describe(self, state: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        name, params = state
        _, required, output = METRICS[name]
        return {"metric": name, **params, "input_fields": list(required), "output_fields": [output]}


implementation = MetricsImplementation()
