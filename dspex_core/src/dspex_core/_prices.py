"""The price table that turns token counts into a cost estimate (``UsageTracker.cost_usd``).

Prices are ``(USD per 1M input tokens, USD per 1M output tokens)`` per model string. The
shipped :data:`DEFAULT_PRICES` cover a few common OpenAI, Anthropic and Gemini models; they are
copied from LiteLLM 1.110.2's bundled ``model_prices_and_context_window_backup.json`` (the
``input_cost_per_token``/``output_cost_per_token`` of each entry, times 10^6), the version dspy
3.4.1 installs, and are estimates: cached-token discounts, long-context tiers and batch prices
are not modelled. Users extend or override them with ``dspex.register_prices({...})``
(process-wide) or ``dspex.configure(prices={...})`` / ``dspex.context(prices={...})`` (which win).

A model is looked up as written (``openai/gpt-4o-mini``), then without its provider prefix
(``gpt-4o-mini``); a model found nowhere has no cost (``None``), its tokens still counted.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping

from dspex_core.errors import ConfigError

#: From LiteLLM 1.110.2's model_prices_and_context_window_backup.json (see the module docstring).
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.5, 10.0),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4.1-nano": (0.1, 0.4),
    "gpt-5": (1.25, 10.0),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-5-nano": (0.05, 0.4),
    "o1": (15.0, 60.0),
    "o3": (2.0, 8.0),
    "o3-mini": (1.1, 4.4),
    "o4-mini": (1.1, 4.4),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-opus-4-5": (5.0, 25.0),
    "gemini-2.5-flash": (0.3, 2.5),
    "gemini-2.5-flash-lite": (0.1, 0.4),
    "gemini-2.5-pro": (1.25, 10.0),
}

_lock = threading.Lock()
_registered: dict[str, tuple[float, float]] = {}


def check_prices(value: Any, what: str) -> dict[str, tuple[float, float]]:
    """``value`` as ``{model: (input, output)}`` with non-negative numbers, or a ConfigError naming the bad entry."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{what} must map model names to (usd_per_1M_input, usd_per_1M_output), "
                          f"got {type(value).__name__}")
    out = {}
    for model, pair in value.items():
        if not isinstance(model, str) or not model:
            raise ConfigError(f"{what}: model names must be non-empty strings, got {model!r}")
        if isinstance(pair, Mapping):  # {"input": ..., "output": ...}, as a TOML table reads
            pair = (pair.get("input"), pair.get("output"))
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(isinstance(p, (int, float)) and not isinstance(p, bool) and p >= 0 for p in pair)):
            raise ConfigError(f"{what}: the price of {model!r} must be (usd_per_1M_input, usd_per_1M_output), "
                              f"two non-negative numbers, got {pair!r}")
        out[model] = (float(pair[0]), float(pair[1]))
    return out


def register_prices(prices: Mapping[str, Any]) -> None:
    """Add or replace prices process-wide: ``{model: (usd_per_1M_input, usd_per_1M_output)}``."""
    checked = check_prices(prices, "register_prices()")
    with _lock:
        _registered.update(checked)


def clear_registered() -> None:
    """Forget :func:`register_prices` calls (tests use it)."""
    with _lock:
        _registered.clear()


def price_of(model: str, configured: Mapping[str, tuple[float, float]] | None = None) -> tuple[float, float] | None:
    """The price of ``model``: the settings' ``prices``, then registered ones, then the defaults;
    each as written, then without the provider prefix."""
    names = (model, model.split("/", 1)[1]) if "/" in model else (model,)
    for table in (configured or {}, _registered, DEFAULT_PRICES):
        for name in names:
            found = table.get(name)
            if found is not None:
                return found
    return None


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int,
             configured: Mapping[str, tuple[float, float]] | None = None) -> float | None:
    """The estimated cost of these tokens on ``model``, or ``None`` when its price is unknown."""
    price = price_of(model, configured)
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000
