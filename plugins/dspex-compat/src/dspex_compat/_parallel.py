"""DSPy's ``Parallel``: (module, example) pairs run on threads, results in order.

An example may be an ``Example`` (its inputs become keyword arguments), a dict (keyword
arguments), a tuple (positional arguments), or a list of pairs for a nested ``Parallel``.
"""

from __future__ import annotations

import threading
from typing import Any

import dspex_core

from dspex_compat._parallelizer import ParallelExecutor
from dspex_compat._settings import settings

__all__ = ["Parallel"]


class Parallel:
    """Run many (module, example) pairs on ``num_threads`` threads (DSPy's ``dspy.Parallel``)."""

    def __init__(self, num_threads: int | None = None, max_errors: int | None = None, access_examples: bool = True,
                 return_failed_examples: bool = False, provide_traceback: bool | None = None,
                 disable_progress_bar: bool = False, timeout: int = 120, straggler_limit: int = 3):
        self.num_threads = num_threads or settings.num_threads
        self.max_errors = settings.max_errors if max_errors is None else max_errors
        self.access_examples = access_examples
        self.return_failed_examples = return_failed_examples
        self.provide_traceback = provide_traceback
        self.disable_progress_bar = disable_progress_bar
        self.timeout = timeout
        self.straggler_limit = straggler_limit
        self.error_count = 0
        self.error_lock = threading.Lock()
        self.cancel_jobs = threading.Event()
        self.failed_examples: list[Any] = []
        self.exceptions: list[Exception] = []

    def forward(self, exec_pairs: list[tuple[Any, Any]], num_threads: int | None = None) -> Any:
        executor = ParallelExecutor(
            num_threads=num_threads if num_threads is not None else self.num_threads,
            max_errors=self.max_errors, provide_traceback=self.provide_traceback,
            disable_progress_bar=self.disable_progress_bar, timeout=self.timeout,
            straggler_limit=self.straggler_limit)
        results = executor.execute(self._run_pair, exec_pairs)
        if not self.return_failed_examples:
            return results
        for index in executor.failed_indices:
            if index < len(exec_pairs):
                self.failed_examples.append(exec_pairs[index][1])
                if exception := executor.exceptions_map.get(index):
                    self.exceptions.append(exception)
        return results, self.failed_examples, self.exceptions

    def _run_pair(self, pair: tuple[Any, Any]) -> Any:
        module, example = pair
        if isinstance(example, dspex_core.Example):
            return module(**example.inputs()) if self.access_examples else module(example)
        if isinstance(example, dict):
            return module(**example)
        if isinstance(example, list) and type(module).__name__ == "Parallel":
            return module(example)
        if isinstance(example, tuple):
            return module(*example)
        raise ValueError(f"Invalid example type: {type(example)}, only supported types are Example, dict, list "
                         "and tuple")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)
