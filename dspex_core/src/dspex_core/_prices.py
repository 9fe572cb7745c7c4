"""The price table that turns token counts into a cost estimate (``UsageTracker.cost_usd``).

A price is ``(USD per 1M input tokens, USD per 1M output tokens)`` per model string, optionally
followed by the prices of cached input: ``(input, output, cache_read, cache_write)`` (``None`` for
one the provider does not charge differently: those tokens cost the input price). The shipped
:data:`DEFAULT_PRICES` cover a few common OpenAI, Anthropic and Gemini models; they are copied
from LiteLLM 1.110.2's bundled ``model_prices_and_context_window_backup.json`` (each entry's
``input_cost_per_token``, ``output_cost_per_token``, ``cache_read_input_token_cost`` and
``cache_creation_input_token_cost``, times 10^6), the version dspy 3.4.1 installs, and are
estimates: long-context tiers and batch prices are not modelled. Users extend or override them
with ``dspex.register_prices({...})`` (process-wide) or ``dspex.configure(prices={...})`` /
``dspex.context(prices={...})`` (which win).

The cached tokens are those a usage entry's ``prompt_tokens_details`` reports (``cached_tokens``
read from the cache, ``cache_creation_tokens`` written to it); they are part of its
``prompt_tokens``, as dspy records them for every provider, so the rest of the prompt costs the
input price.

A model is looked up as written (``openai/gpt-4o-mini``), then without its provider prefix
(``gpt-4o-mini``); a model found nowhere has no cost (``None``), its tokens still counted.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping

from dspex_core.errors import ConfigError

#: The prices of :data:`DEFAULT_PRICES` and of users' tables: ``(input, output, cache_read, cache_write)``.
Price = tuple[float, float, "float | None", "float | None"]

#: From LiteLLM 1.110.2's model_prices_and_context_window_backup.json (see the module docstring).
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o": (2.5, 10.0, 1.25, None),
    "gpt-4o-mini": (0.15, 0.6, 0.075, None),
    "gpt-4.1": (2.0, 8.0, 0.5, None),
    "gpt-4.1-mini": (0.4, 1.6, 0.1, None),
    "gpt-4.1-nano": (0.1, 0.4, 0.025, None),
    "gpt-5": (1.25, 10.0, 0.125, None),
    "gpt-5-mini": (0.25, 2.0, 0.025, None),
    "gpt-5-nano": (0.05, 0.4, 0.005, None),
    "o1": (15.0, 60.0, 7.5, None),
    "o3": (2.0, 8.0, 0.5, None),
    "o3-mini": (1.1, 4.4, 0.55, None),
    "o4-mini": (1.1, 4.4, 0.275, None),
    "claude-haiku-4-5": (1.0, 5.0, 0.1, 1.25),
    "claude-sonnet-4-5": (3.0, 15.0, 0.3, 3.75),
    "claude-sonnet-4-6": (3.0, 15.0, 0.3, 3.75),
    "claude-opus-4-5": (5.0, 25.0, 0.5, 6.25),
    "gemini-2.5-flash": (0.3, 2.5, 0.03, None),
    "gemini-2.5-flash-lite": (0.1, 0.4, 0.01, None),
    "gemini-2.5-pro": (1.25, 10.0, 0.125, None),
}

_lock = threading.Lock()
_registered: dict[str, Price] = {}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def check_prices(value: Any, what: str) -> dict[str, Price]:
    """``value`` as ``{model: (input, output, cache_read, cache_write)}``: each price two or four
    non-negative numbers (the cache prices may be ``None``), or a mapping with ``input``,
    ``output`` and optionally ``cache_read``/``cache_write``; a ConfigError names a bad entry."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{what} must map model names to (usd_per_1M_input, usd_per_1M_output), "
                          f"got {type(value).__name__}")
    out = {}
    for model, price in value.items():
        if not isinstance(model, str) or not model:
            raise ConfigError(f"{what}: model names must be non-empty strings, got {model!r}")
        if isinstance(price, Mapping):  # {"input": ..., "output": ...}, as a TOML table reads
            price = (price.get("input"), price.get("output"), price.get("cache_read"), price.get("cache_write"))
        if (not isinstance(price, (list, tuple)) or len(price) not in (2, 4)
                or not all(_number(p) for p in price[:2]) or not all(p is None or _number(p) for p in price[2:])):
            raise ConfigError(f"{what}: the price of {model!r} must be (usd_per_1M_input, usd_per_1M_output), two "
                              f"non-negative numbers, optionally followed by the cache read and cache write prices "
                              f"(numbers or None), got {price!r}")
        cache_read, cache_write = (price[2], price[3]) if len(price) == 4 else (None, None)
        out[model] = (float(price[0]), float(price[1]), None if cache_read is None else float(cache_read),
                      None if cache_write is None else float(cache_write))
    return out


def register_prices(prices: Mapping[str, Any]) -> None:
    """Add or replace prices process-wide: ``{model: (usd_per_1M_input, usd_per_1M_output)}``, or
    four numbers with the cache read and write prices (see :func:`check_prices`)."""
    checked = check_prices(prices, "register_prices()")
    with _lock:
        _registered.update(checked)


def clear_registered() -> None:
    """Forget :func:`register_prices` calls (tests use it)."""
    with _lock:
        _registered.clear()


def price_of(model: str, configured: Mapping[str, Price] | None = None) -> Price | None:
    """The price of ``model``: the settings' ``prices``, then registered ones, then the defaults;
    each as written, then without the provider prefix."""
    names = (model, model.split("/", 1)[1]) if "/" in model else (model,)
    for table in (configured or {}, _registered, DEFAULT_PRICES):
        for name in names:
            found = table.get(name)
            if found is not None:
                return found
    return None


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int, configured: Mapping[str, Price] | None = None,
             *, cached_tokens: int = 0, cache_creation_tokens: int = 0) -> float | None:
    """The estimated cost of these tokens on ``model``, or ``None`` when its price is unknown.
    ``cached_tokens`` and ``cache_creation_tokens`` are part of ``prompt_tokens``, each priced at
    the cache price where the model has one."""
    price = price_of(model, configured)
    if price is None:
        return None
    read = price[2] if price[2] is not None else price[0]
    write = price[3] if price[3] is not None else price[0]
    cached = min(cached_tokens, prompt_tokens)
    written = min(cache_creation_tokens, prompt_tokens - cached)
    plain = prompt_tokens - cached - written
    return (plain * price[0] + cached * read + written * write + completion_tokens * price[1]) / 1_000_000
