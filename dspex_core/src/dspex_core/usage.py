"""LM usage: per prediction (``pred.get_lm_usage()``), per block (``dspex.track_usage``), and budgets.

Usage is DSPy's shape: ``{model: {"prompt_tokens", "completion_tokens", "total_tokens",
"prompt_tokens_details", "completion_tokens_details", ...}}``, each call's entry merged as
``dspy.utils.usage_tracker.UsageTracker`` merges them (counts summed, nested details merged
key by key, flags and text kept from the first). Cache hits add nothing, as in DSPy.

Who does what:

* a backend's LM client calls :func:`check_budget` before it sends and :func:`record` with the
  provider's ``usage`` after each paid call;
* the core's ``execute`` notes which entries its call wrote (:mod:`dspex_core._usage_journal`),
  so every Prediction carries the usage of the calls that made it, nested modules' included
  (DSPy's roll-up);
* ``with dspex.track_usage(budget_usd=..., budget_tokens=...) as tracker:`` opens a
  :class:`UsageTracker`, which sums every call made inside the block (this thread or asyncio
  task and the work it starts with a copied context: threads of ``dspex.map``, ``parallel``,
  ``evaluate``), prices it (:mod:`dspex_core._prices`) and, once a budget is reached, makes
  :func:`check_budget` raise :class:`~dspex_core.errors.BudgetExceededError` before the next call.

Trackers live in a ``ContextVar``; each gets every entry as it is recorded, so a budget sees its
block's spend as it happens (also inside a long module call such as ReAct). The sums of a
prediction's usage are only computed when ``get_lm_usage()`` is read.
"""

from __future__ import annotations

import contextlib
import threading
from contextvars import ContextVar
from collections.abc import Iterator, Mapping  # (typing.Mapping makes every isinstance slow)
from typing import Any

from dspex_core import _usage_journal
from dspex_core._usage_journal import here as _here, write as _write
from dspex_core.errors import BudgetExceededError, ConfigError

#: Whether a tracker with a budget was ever opened: until then :func:`check_budget` returns at once.
_budgets_seen = False
#: The ``track_usage`` trackers open here, innermost first.
_trackers: ContextVar[tuple] = ContextVar("dspex_usage_trackers", default=())


def _summable(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def merge(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> dict[str, Any]:
    """Two usage entries as one, by DSPy's ``UsageTracker._merge_usage_entries`` rule."""
    if not first:
        return dict(second or {})
    if not second:
        return dict(first)
    out = dict(first)
    for key, value in second.items():
        current = out.get(key)
        if isinstance(value, dict) or isinstance(current, dict):
            out[key] = merge(current, value)
        elif current is None:
            if value is not None:
                out[key] = value
        elif _summable(current) and _summable(value):
            out[key] = current + value
    return out


def dspy_entry(usage: Mapping[str, Any] | None) -> dict[str, Any]:
    """What dspy 3.4's own engine (lm15) records for an OpenAI-compatible response's ``usage``:
    the three counts it has, then ``prompt_tokens_details`` (``cached_tokens``, the
    ``cache_write_tokens`` it reads as ``cache_creation_tokens``, ``audio_tokens``) and
    ``completion_tokens_details`` (``reasoning_tokens``, ``audio_tokens``), each ``None``
    when the provider gave none of them; ``{}`` for no usage at all."""
    if not isinstance(usage, Mapping):
        return {}
    out = {key: usage[key] for key in ("prompt_tokens", "completion_tokens", "total_tokens")
           if _summable(usage.get(key))}
    prompt = usage.get("prompt_tokens_details")
    completion = usage.get("completion_tokens_details")
    prompt = prompt if isinstance(prompt, Mapping) else {}
    completion = completion if isinstance(completion, Mapping) else {}
    prompt_details = {name: prompt[key] for name, key in (("cached_tokens", "cached_tokens"),
                                                          ("cache_creation_tokens", "cache_write_tokens"),
                                                          ("audio_tokens", "audio_tokens"))
                      if _summable(prompt.get(key))}
    completion_details = {key: completion[key] for key in ("reasoning_tokens", "audio_tokens")
                          if _summable(completion.get(key))}
    if out or prompt_details or completion_details:
        out["prompt_tokens_details"] = prompt_details or None
        out["completion_tokens_details"] = completion_details or None
    return out


def record(model: str, entry: Mapping[str, Any]) -> None:
    """Count one paid LM call's usage ``entry`` (DSPy's shape, e.g. :func:`dspy_entry`) for
    ``model`` in the innermost module call's record and in every open tracker. An empty entry
    counts nothing (as in DSPy)."""
    if not entry:
        return
    _write(model, entry)
    for tracker in _trackers.get():
        tracker.add(model, entry)


def share_with_workers() -> None:
    """Call before copying the context handed to worker threads: the usage of their LM calls then
    counts toward the module call that started them (its prediction's ``get_lm_usage()``)."""
    _here()


def open_record() -> Any:
    """Start a record of the usage entries written from here on, in this thread or asyncio task
    (and the worker threads it starts); :func:`close_record` ends it and returns them. What a
    listener uses to learn one LM call's usage: about a quarter of what a ``track_usage`` block
    costs. The entries still count everywhere else (the enclosing module call, open trackers)."""
    parent = _here()  # this thread's own journal first: the enclosing module call reads it
    journal = _usage_journal.Journal(parent, parent.thread)
    return journal, _usage_journal.current.set(journal)


def close_record(opened: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """End a record :func:`open_record` returned (in the same thread or task): its
    ``(model, usage entry)`` pairs, in the order they were written."""
    journal, token = opened
    try:
        _usage_journal.current.reset(token)
    except ValueError:  # ended in another context (an abandoned generator): that one keeps it, harmlessly
        pass
    return _usage_journal.entries_of(journal)


def tracking() -> bool:
    """Whether a ``dspex.track_usage()`` block is open here (DSPy's ``settings.track_usage``: a
    streamed request on LiteLLM's route asks for its usage only then, as dspy's does)."""
    return bool(_trackers.get())


def check_budget() -> None:
    """Raise :class:`BudgetExceededError` when an open tracker's spend already reached its budget
    (called by LM clients before they send; nothing to do when no tracker is open)."""
    if not _budgets_seen:
        return
    for tracker in _trackers.get():
        if tracker.limited:
            tracker.check()


def totals(entries: list[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """A record's entries as ``{model: merged usage}`` (what ``get_lm_usage()`` returns)."""
    out: dict[str, dict[str, Any]] = {}
    for model, entry in entries:
        out[model] = merge(out.get(model), entry)
    return out


def _detail(entry: Mapping[str, Any], key: str) -> int:
    """A count of an entry's ``prompt_tokens_details`` (0 when absent)."""
    details = entry.get("prompt_tokens_details")
    count = details.get(key) if isinstance(details, Mapping) else None
    return int(count) if _summable(count) else 0


def _tokens(entry: Mapping[str, Any]) -> int:
    total = entry.get("total_tokens")
    if _summable(total):
        return int(total)
    return int(sum(entry.get(k) or 0 for k in ("prompt_tokens", "completion_tokens") if _summable(entry.get(k))))


class UsageTracker:
    """What ``dspex.track_usage()`` yields: totals per model, tokens, calls and estimated cost.

    ``get_total_tokens()`` (DSPy's name) and ``totals`` give ``{model: usage}``; ``total_tokens``
    sums every model's; ``cost_usd`` is the estimate from the price table (``None`` when no
    model's price is known; models without a price add nothing to it: see ``unpriced``)."""

    def __init__(self, budget_usd: float | None = None, budget_tokens: int | None = None,
                 prices: Mapping[str, tuple] | None = None):
        self.budget_usd = budget_usd
        self.budget_tokens = budget_tokens
        self.limited = budget_usd is not None or budget_tokens is not None
        self._prices = dict(prices or {})
        self._lock = threading.Lock()
        self._by_model: dict[str, dict[str, Any]] = {}
        self.calls = 0

    def add(self, model: str, entry: Mapping[str, Any]) -> None:
        with self._lock:
            self._by_model[model] = merge(self._by_model.get(model), entry)
            self.calls += 1

    def get_total_tokens(self) -> dict[str, dict[str, Any]]:
        """``{model: merged usage}``, as ``dspy.utils.usage_tracker.UsageTracker.get_total_tokens``."""
        with self._lock:
            return {model: dict(entry) for model, entry in self._by_model.items()}

    @property
    def totals(self) -> dict[str, dict[str, Any]]:
        return self.get_total_tokens()

    @property
    def total_tokens(self) -> int:
        return sum(_tokens(entry) for entry in self.get_total_tokens().values())

    def cost_by_model(self) -> dict[str, float | None]:
        """The estimated cost per model (``None`` for a model with no known price)."""
        from dspex_core._prices import cost_usd

        return {model: cost_usd(model, int(entry.get("prompt_tokens") or 0), int(entry.get("completion_tokens") or 0),
                                self._prices, cached_tokens=_detail(entry, "cached_tokens"),
                                cache_creation_tokens=_detail(entry, "cache_creation_tokens"))
                for model, entry in self.get_total_tokens().items()}

    @property
    def unpriced(self) -> list[str]:
        """The models used whose price is unknown (their tokens count, their cost does not)."""
        return [model for model, cost in self.cost_by_model().items() if cost is None]

    @property
    def cost_usd(self) -> float | None:
        costs = [cost for cost in self.cost_by_model().values() if cost is not None]
        return sum(costs) if costs else None

    def check(self) -> None:
        """Raise :class:`BudgetExceededError` if the spend so far reached a budget."""
        if self.budget_tokens is not None:
            spent = self.total_tokens
            if spent >= self.budget_tokens:
                raise BudgetExceededError(
                    f"token budget exceeded: {spent} tokens spent of budget_tokens={self.budget_tokens} "
                    f"in this dspex.track_usage() block; the LM call was not made",
                    kind="tokens", budget=self.budget_tokens, spent=spent)
        if self.budget_usd is not None:
            cost = self.cost_usd or 0.0
            if cost >= self.budget_usd:
                raise BudgetExceededError(
                    f"cost budget exceeded: ${cost:.6f} spent of budget_usd={self.budget_usd} in this "
                    f"dspex.track_usage() block; the LM call was not made",
                    kind="usd", budget=self.budget_usd, spent=cost)

    def __repr__(self) -> str:
        return (f"UsageTracker(calls={self.calls}, total_tokens={self.total_tokens}, cost_usd={self.cost_usd!r}, "
                f"budget_usd={self.budget_usd!r}, budget_tokens={self.budget_tokens!r})")


def _check_budget_value(value: Any, name: str) -> None:
    if value is not None and (not _summable(value) or value < 0):
        raise ConfigError(f"{name} must be a non-negative number or None, got {value!r}")


@contextlib.contextmanager
def track_usage(budget_usd: float | None = None, budget_tokens: int | None = None) -> Iterator[UsageTracker]:
    """Sum the LM usage of every call made inside the block; with a budget, stop before the call
    that would start past it (:class:`~dspex_core.errors.BudgetExceededError`).

    Blocks nest (an outer tracker counts what inner ones count); each thread and asyncio task has
    its own, and work started inside the block with a copied context (dspex's executors) counts
    toward it. Prices come from ``settings().prices``, ``dspex.register_prices`` and the default table.
    """
    _check_budget_value(budget_usd, "budget_usd")
    _check_budget_value(budget_tokens, "budget_tokens")
    from dspex_core.config import settings

    tracker = UsageTracker(budget_usd, budget_tokens, settings().prices)
    if tracker.limited:
        global _budgets_seen
        _budgets_seen = True
    token = _trackers.set((tracker, *_trackers.get()))
    try:
        yield tracker
    finally:
        _trackers.reset(token)
