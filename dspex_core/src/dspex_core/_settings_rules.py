"""The LM settings a module is given (create options, ``config={...}``), checked alike on every backend.

A setting of the wrong kind used to reach the backends' own code: ``temperature="hot"`` failed
inside DSPy's n/temperature rule with ``TypeError: '<=' not supported between 'str' and 'float'``
on both backends, ``n=0`` was sent by native and refused by dspy with a bare ``ValueError``,
``config=[...]`` was refused by each backend in its own words. :func:`check_settings` refuses
them all before anything is built or sent, with one :class:`~dspex_core.errors.InputError`
naming the setting, whichever backend runs the module.

Only the kind of value is checked (a number, a positive integer), not the range a provider
allows: ``temperature=1.7`` is one provider's mistake and another's setting, and the provider's
own error says so. ``None`` means "not set" and is always accepted. Settings not listed here
pass unchecked (the provider is the judge).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import ConfigError, InputError

#: Settings that must be a real number (``bool`` is not one here).
NUMBERS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
#: Settings that must be an integer of at least 1.
POSITIVE_INTEGERS = ("n", "num_generations", "max_tokens", "max_completion_tokens")
#: Settings that must be an integer.
INTEGERS = ("seed",)
#: The LM settings a predictor takes as create options (its config, as DSPy's ``Predict(**config)``);
#: one list for native's predictors and any third-party predictor that follows them.
PREDICTOR_SETTINGS = frozenset({
    "temperature", "max_tokens", "max_completion_tokens", "n", "rollout_id", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "logit_bias", "response_format",
    "reasoning_effort", "user", "timeout", "num_retries", "cache",
})
#: The values of an LM's ``engine`` setting, as ``dspy.LM(engine=...)`` takes them: ``"auto"`` (the
#: default: dspy 3.4's own engine, lm15, where it can carry the request, else LiteLLM),
#: ``"lm15"`` (its own engine or an error) and ``"litellm"`` (LiteLLM's route).
ENGINES = ("auto", "lm15", "litellm")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_settings(where: str, settings: Any) -> Mapping[str, Any]:
    """``settings`` when it is a mapping whose known LM settings have values of the right kind;
    otherwise an :class:`InputError` that starts with ``where`` (the module type, ``"predict
    (call)"``) and names the setting and the value."""
    if not isinstance(settings, Mapping):
        raise InputError(f"{where}: config must be a dict of LM settings, got {type(settings).__name__}")
    if not settings:
        return settings
    for name in NUMBERS:
        value = settings.get(name)
        if value is not None and not _is_number(value):
            raise InputError(f"{where}: {name} must be a number, got {value!r}")
    for name in POSITIVE_INTEGERS:
        value = settings.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise InputError(f"{where}: {name} must be a positive integer, got {value!r}")
    for name in INTEGERS:
        value = settings.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InputError(f"{where}: {name} must be an integer, got {value!r}")
    return settings


def check_engine(where: str, engine: Any) -> None:
    """An :class:`~dspex_core.errors.InputError` (a ``ConfigError``) for an ``engine`` setting that is
    not one of :data:`ENGINES`, naming the valid ones. ``None`` is the default (``"auto"``)."""
    if engine is not None and engine not in ENGINES:
        raise ConfigError(f"{where}: engine must be one of {', '.join(repr(e) for e in ENGINES)}, got {engine!r}")
