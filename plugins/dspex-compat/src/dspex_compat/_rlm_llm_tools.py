"""The sub-LM tools RLM gives the code it runs: ``llm_query(prompt)`` and
``llm_query_batched(prompts)``, both drawing on one budget of ``max_llm_calls`` per call of the module.

A prompt goes to the sub-LM as DSPy sends it, ``lm(prompt)`` (one user message), and the first
output's text comes back. The sub-LM is RLM's ``sub_lm``, else ``dspy.settings.lm`` at the time of
the query. A batch runs on threads that inherit the caller's context (``dspy.context``); an LM
failure becomes an ``[ERROR] ...`` entry in its place, any other exception propagates.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable

import dspex_core

from dspex_compat._dspy_errors import LMError, LMNotConfiguredError, format_error_for_lm
from dspex_compat._settings import settings

__all__ = ["LLMCallBudget", "make_llm_tools"]


class LLMCallBudget:
    """Per-forward ceiling on sub-LLM calls, shared by every host path generated code can reach."""

    def __init__(self, limit: int):
        self._limit = limit
        self._count = 0
        self._lock = threading.Lock()

    def reserve(self, n: int = 1) -> None:
        with self._lock:
            if self._count + n > self._limit:
                raise RuntimeError(f"LLM call limit exceeded: {self._count} + {n} > {self._limit}. "
                                   f"Use Python code for aggregation instead of making more LLM calls.")
            self._count += n


def make_llm_tools(sub_lm: Any, budget: LLMCallBudget, max_workers: int = 8) -> dict[str, Callable[..., Any]]:
    """``llm_query`` and ``llm_query_batched`` on ``sub_lm`` (else the configured LM) and ``budget``."""

    def query_lm(prompt: str) -> str:
        target_lm = sub_lm if sub_lm is not None else settings.lm
        if target_lm is None:
            raise LMNotConfiguredError("No LM configured. Use dspy.configure(lm=...) or pass sub_lm to RLM.")
        response = target_lm(prompt)
        if isinstance(response, list) and response:
            first = response[0]
            text = first.get("text") if isinstance(first, dict) else first
        elif not isinstance(response, (list, str)) and hasattr(response, "text"):
            text = response.text  # a typed response object
        else:
            raise TypeError("Sub-LM must return dspy.lm15.Response or a non-empty list of text outputs, "
                            f"got {type(response).__name__}.")
        if not isinstance(text, str):
            raise TypeError(f"Sub-LM response must contain text, got {type(text).__name__}.")
        return text

    def llm_query(prompt: str) -> str:
        """Query the LLM with a prompt string."""
        if not prompt:
            raise ValueError("prompt cannot be empty")
        budget.reserve(1)
        return query_lm(prompt)

    def llm_query_batched(prompts: list[str]) -> list[str]:
        """Query prompts concurrently, isolating LM failures while propagating contract errors."""
        if not prompts:
            return []
        budget.reserve(len(prompts))
        results: dict[int, str] = {}
        with ThreadPoolExecutor(max_workers=max_workers) as executor:
            futures = {executor.submit(contextvars.copy_context().run, query_lm, prompt): index
                       for index, prompt in enumerate(prompts)}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    results[index] = future.result()
                except (LMError, dspex_core.LMError) as e:
                    results[index] = f"[ERROR] {format_error_for_lm(e)}"
        return [results[i] for i in range(len(prompts))]

    return {"llm_query": llm_query, "llm_query_batched": llm_query_batched}
