"""Checking ``evaluate``'s options once, at create (and for call-time overrides).

Every mistake is an :class:`~dspex_core.InputError` naming the option and what it needs, so
an evaluation never starts only to fail on its first example.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import example_of
from dspex_core.errors import InputError

DEFAULT_MAX_ERRORS = 10  # dspy.settings.max_errors


def check_devset(devset: Any) -> list[Any]:
    if devset is None or isinstance(devset, (str, bytes, Mapping)) or not hasattr(devset, "__iter__"):
        raise InputError("evaluate needs devset=[...]: a non-empty list of Example(...).with_inputs(...)")
    devset = list(devset)
    if not devset:
        raise InputError("devset must contain at least one example, got an empty devset")
    for index, example in enumerate(devset):
        read = example_of(example)  # a dspy.Example too (kept as given: the metric gets the user's object)
        if read is None and not callable(getattr(example, "inputs", None)):
            raise InputError(f"devset[{index}] is a {type(example).__name__}, not an Example; "
                             f"use dspex.Example(...).with_inputs(...)")
        if read is not None and read.input_keys is None:
            raise InputError(f"devset[{index}] has no input keys; call .with_inputs('field', ...) on it")
    return devset


def check_metric(metric: Any) -> Any:
    if isinstance(metric, str):
        from dspex_native import answer_metrics

        if metric not in ("answer_exact_match", "answer_passage_match"):
            raise InputError(f"metric {metric!r} is not an example/prediction metric; give a callable "
                             f"metric(example, prediction), or 'answer_exact_match' / 'answer_passage_match'")
        return getattr(answer_metrics, metric)
    if metric is not None and not callable(metric):
        raise InputError(f"metric must be a callable metric(example, prediction), got {type(metric).__name__}")
    return metric


def check_options(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "devset" in out:
        out["devset"] = check_devset(out["devset"])
    if "metric" in out:
        out["metric"] = check_metric(out["metric"])
    threads = out.get("num_threads")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise InputError(f"num_threads must be a positive integer, got {threads!r}")
    limit = out.get("max_errors")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 0):
        raise InputError(f"max_errors must be a non-negative number (or None for {DEFAULT_MAX_ERRORS}), got {limit!r}")
    failure = out.get("failure_score", 0.0)
    if isinstance(failure, bool) or not isinstance(failure, (int, float)):
        raise InputError(f"failure_score must be a number, got {failure!r}")
    executor = out.get("executor")
    if executor is not None:
        from dspex_core import registry

        if not isinstance(executor, str):
            raise InputError(f"executor must be the name of a registered executor, got {type(executor).__name__}")
        if executor not in registry.executor_names():
            raise InputError(f"no executor named {executor!r}; installed: {', '.join(registry.executor_names())}")
    if not isinstance(out.get("provide_traceback", False), bool):
        raise InputError(f"provide_traceback must be True or False, got {out['provide_traceback']!r}")
    shown = out.get("display_progress")
    if shown is not None and not isinstance(shown, bool):
        raise InputError(f"display_progress must be True, False or None (show on a terminal), got {shown!r}")
    return out
