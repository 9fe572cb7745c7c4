"""DSPy's ``Evaluate``: a program run on a devset, each prediction scored by a metric.

The layer runs the program as DSPy does (DSPy's ``ParallelExecutor``, here
:mod:`dspex_compat._parallelizer`), since the program is a layer module (or any callable) and
its predictors are dspex references already; the call fires DSPy's ``on_evaluate_*`` events,
and the module events of the examples name it as their parent.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import types
from typing import Any, Callable

from dspex_core import Example, Prediction

from dspex_compat._callback import with_callbacks
from dspex_compat._parallelizer import ParallelExecutor
from dspex_compat._settings import settings

__all__ = ["Evaluate", "EvaluationResult", "is_in_ipython_notebook_environment"]

logger = logging.getLogger("dspy.evaluate.evaluate")


class EvaluationResult(Prediction):
    """An evaluation's ``score`` (a percentage) and ``results`` ((example, prediction, score) per example)."""

    def __init__(self, score: float, results: list[tuple[Example, Any, Any]]):
        super().__init__(score=score, results=results)

    def __repr__(self) -> str:
        return f"EvaluationResult(score={self.score}, results=<list of {len(self.results)} results>)"


class Evaluate:
    """Score a program on a devset with a metric (DSPy's ``dspy.Evaluate``)."""

    _callback_kind = "evaluate"

    def __init__(self, *, devset: list[Example], metric: Callable | None = None, num_threads: int | None = None,
                 display_progress: bool = False, display_table: bool | int = False, max_errors: int | None = None,
                 provide_traceback: bool | None = None, failure_score: float = 0.0, save_as_csv: str | None = None,
                 save_as_json: str | None = None, **kwargs: Any):
        self.devset = devset
        self.metric = metric
        self.num_threads = num_threads
        self.display_progress = display_progress
        self.display_table = display_table
        self.max_errors = max_errors
        self.provide_traceback = provide_traceback
        self.failure_score = failure_score
        self.save_as_csv = save_as_csv
        self.save_as_json = save_as_json
        if "return_outputs" in kwargs:
            raise ValueError("`return_outputs` is no longer supported. Results are always returned inside the "
                             "`results` field of the `EvaluationResult` object.")

    @with_callbacks
    def __call__(self, program: Any, metric: Callable | None = None, devset: list[Example] | None = None,
                 num_threads: int | None = None, display_progress: bool | None = None,
                 display_table: bool | int | None = None, callback_metadata: dict[str, Any] | None = None,
                 save_as_csv: str | None = None, save_as_json: str | None = None) -> EvaluationResult:
        metric = metric if metric is not None else self.metric
        devset = devset if devset is not None else self.devset
        num_threads = num_threads if num_threads is not None else self.num_threads
        display_progress = display_progress if display_progress is not None else self.display_progress
        display_table = display_table if display_table is not None else self.display_table
        save_as_csv = save_as_csv if save_as_csv is not None else self.save_as_csv
        save_as_json = save_as_json if save_as_json is not None else self.save_as_json
        if not devset:
            raise ValueError("devset must contain at least one example, got an empty devset.")
        if callback_metadata:
            logger.debug(f"Evaluate is called with callback metadata: {callback_metadata}")
        executor = ParallelExecutor(
            num_threads=num_threads, disable_progress_bar=not display_progress,
            max_errors=self.max_errors if self.max_errors is not None else settings.max_errors,
            provide_traceback=self.provide_traceback, compare_results=True)

        def process_item(example: Example) -> tuple[Any, Any]:
            prediction = program(**example.inputs())
            return prediction, metric(example, prediction)

        outcomes = executor.execute(process_item, devset)
        outcomes = [(Prediction(), self.failure_score) if r is None else r for r in outcomes]
        results = [(example, prediction, score) for example, (prediction, score) in zip(devset, outcomes)]
        ncorrect, ntotal = sum(score for *_, score in results), len(devset)
        logger.info(f"Average Metric: {ncorrect} / {ntotal} ({round(100 * ncorrect / ntotal, 1)}%)")
        if display_table:
            self._display(results, _metric_name(metric), display_table)
        if save_as_csv:
            rows = self._prepare_results_output(results, _metric_name(metric))
            with open(save_as_csv, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=rows[0].keys())
                writer.writeheader()
                writer.writerows(rows)
        if save_as_json:
            rows = self._prepare_results_output(results, _metric_name(metric))
            with open(save_as_json, "w") as f:
                json.dump(rows, f, default=_jsonable)
        return EvaluationResult(score=round(100 * ncorrect / ntotal, 2), results=results)

    @staticmethod
    def _prepare_results_output(results: list[tuple[Example, Any, Any]], metric_name: str) -> list[dict[str, Any]]:
        return [merge_dicts(example, prediction) | {metric_name: score} if prediction_is_dictlike(prediction)
                else example.toDict() | {"prediction": prediction, metric_name: score}
                for example, prediction, score in results]

    def _construct_result_table(self, results: list[tuple[Example, Any, Any]], metric_name: str) -> Any:
        import pandas as pd

        frame = pd.DataFrame(self._prepare_results_output(results, metric_name))
        frame = frame.map(truncate_cell) if hasattr(frame, "map") else frame.applymap(truncate_cell)
        return frame.rename(columns={"correct": metric_name})

    def _display(self, results: list[tuple[Example, Any, Any]], metric_name: str, display_table: bool | int) -> None:
        if importlib.util.find_spec("pandas") is None:
            logger.warning("Skipping table display since `pandas` is not installed.")
            return
        import pandas as pd

        frame = self._construct_result_table(results, metric_name)
        shown = frame.copy() if isinstance(display_table, bool) else frame.head(display_table).copy()
        hidden = 0 if isinstance(display_table, bool) else len(frame) - display_table
        shown[metric_name] = shown[metric_name].apply(
            lambda x: f"✔️ [{x:.3f}]" if isinstance(x, float) else (f"✔️ [{x}]" if x is not None else ""))
        with pd.option_context("display.max_rows", None, "display.max_columns", None):
            print(shown)
        if hidden > 0:
            print(f"... {hidden} more rows not displayed ...")


def _metric_name(metric: Any) -> str:
    return metric.__name__ if isinstance(metric, types.FunctionType) else metric.__class__.__name__


def _jsonable(value: Any) -> Any:
    """What ``json.dump`` writes for a field value it does not know (a pydantic model, such as ``dspy.History``)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def prediction_is_dictlike(prediction: Any) -> bool:
    return hasattr(prediction, "items") and callable(prediction.items)


def merge_dicts(d1: Any, d2: Any) -> dict[str, Any]:
    """The example's and the prediction's fields in one row (``example_``/``pred_`` where both have one)."""
    d1 = d1.toDict() if hasattr(d1, "toDict") else d1
    d2 = d2.toDict() if hasattr(d2, "toDict") else d2
    merged = {(f"example_{k}" if k in d2 else k): v for k, v in d1.items()}
    merged.update({(f"pred_{k}" if k in d1 else k): v for k, v in d2.items()})
    return merged


def truncate_cell(content: Any) -> Any:
    """A cell cut to 25 words."""
    words = str(content).split()
    return " ".join(words[:25]) + "..." if len(words) > 25 else content


def is_in_ipython_notebook_environment() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return "IPKernelApp" in getattr(get_ipython(), "config", {})
