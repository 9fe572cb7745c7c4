"""The GenAI attributes of one LM request: who is asked (provider, model, server), with which
settings (temperature, max tokens, ...), and what came back (usage, response model, finish reasons).

Only the settings named in :data:`REQUEST_SETTINGS` are read: an LM's settings may hold an API
key or headers (``dspy.LM(api_key=...)`` keeps it among its ``kwargs``), and nothing else of
them ever reaches an attribute. A base URL is reduced to its host and port.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core import LM

from dspex_otel._providers import split_model

#: request setting -> attribute (numbers only; ``stop`` is handled apart)
REQUEST_SETTINGS: dict[str, str] = {
    "temperature": "gen_ai.request.temperature",
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "seed": "gen_ai.request.seed",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
}

_identities: dict[tuple[type, str, Any], tuple[str, str, str, Any, Any]] = {}


def identity(instance: Any) -> tuple[str, str, str, Any, Any]:
    """``(operation, provider, request model, server address, server port)`` of the LM called:
    a ``dspex.LM``, a ``dspy.LM`` or a custom LM object (its ``model``, when it has one)."""
    model = getattr(instance, "model", None)
    if not isinstance(model, str):
        model = type(instance).__name__
    settings = _own_settings(instance)
    base = settings.get("api_base") or settings.get("base_url")
    key = (type(instance), model, base if isinstance(base, str) else None)
    found = _identities.get(key)
    if found is None:
        found = _identities[key] = _identity(instance, model, key[2], settings)
        if len(_identities) > 1024:  # a long-running process with many distinct models: start again
            _identities.clear()
    return found


def _identity(instance: Any, model: str, base: str | None, settings: Mapping[str, Any]) -> tuple[str, str, str, Any, Any]:
    operation = "text_completion" if settings.get("model_type") == "text" else "chat"
    if isinstance(instance, LM) or _is_dspy_lm(type(instance)):
        provider, name = split_model(model)
    elif "/" in model:  # a custom LM named like a model ("dspex/offline")
        provider, name = model.split("/", 1)[0], model
    else:
        provider, name = "_OTHER", model
    host = port = None
    if base:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(base)
            host, port = parts.hostname, parts.port  # hostname leaves out any user:password@
        except ValueError:
            host = port = None
    return operation, provider, name, host, port


def _is_dspy_lm(cls: type) -> bool:
    """Whether ``cls`` is ``dspy.LM`` or a subclass (the dspy backend's LM for a ``dspex.LM``); a
    dspy ``BaseLM`` that wraps a custom LM object is not: its ``model`` is the object's."""
    return any(c.__name__ == "LM" and c.__module__.split(".", 1)[0] == "dspy" for c in cls.__mro__)


def _own_settings(instance: Any) -> Mapping[str, Any]:
    """The LM object's own settings (``dspex.LM.settings``, ``dspy.LM.kwargs``), read, never kept."""
    found = getattr(instance, "settings", None)
    if not isinstance(found, Mapping):
        found = getattr(instance, "kwargs", None)
    return found if isinstance(found, Mapping) else {}


def request_attributes(instance: Any, call_settings: Mapping[str, Any], into: dict[str, Any]) -> None:
    """Add the request settings (the LM's own, then the call's, which win) to ``into``."""
    for source in (_own_settings(instance), call_settings):
        for key, value in source.items():
            name = REQUEST_SETTINGS.get(key)
            if name is not None:
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    into[name] = value
            elif key == "stop" and value:
                stops = [value] if isinstance(value, str) else [s for s in value if isinstance(s, str)]
                if stops:
                    into["gen_ai.request.stop_sequences"] = stops
            elif key == "n" and isinstance(value, int) and not isinstance(value, bool) and value != 1:
                into["gen_ai.request.choice.count"] = value


def usage_tokens(totals: Mapping[str, Mapping[str, Any]]) -> tuple[int, int]:
    """``(input tokens, output tokens)`` summed over the usage entries a call recorded."""
    prompt = completion = 0
    for entry in totals.values():
        prompt += entry.get("prompt_tokens") or 0
        completion += entry.get("completion_tokens") or 0
    return prompt, completion


def dspy_response(entry: Mapping[str, Any]) -> tuple[Any, Any, list[str] | None, Mapping[str, Any] | None]:
    """``(response model, response id, finish reasons, usage)`` of a ``dspy.LM`` history entry."""
    response = entry.get("response")
    reasons = None
    choices = getattr(response, "choices", None)  # LiteLLM's ModelResponse
    if choices:
        reasons = [_reason(getattr(c, "finish_reason", None)) for c in choices]
    elif getattr(response, "finish_reason", None) is not None:  # dspy's own engine: one per response
        reasons = [_reason(response.finish_reason)]
    return (entry.get("response_model") or getattr(response, "model", None), getattr(response, "id", None), reasons,
            entry.get("usage"))


def _reason(value: Any) -> str:
    return str(getattr(value, "value", value) or "")
