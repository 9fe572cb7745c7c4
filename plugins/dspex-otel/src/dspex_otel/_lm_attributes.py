"""The GenAI attributes of one LM request: who is asked (provider, model, server), with which
settings (temperature, max tokens, ...), and what came back (usage, response model, finish reasons).

Only the settings named in :data:`REQUEST_SETTINGS` are read: an LM's settings may hold an API
key or headers (``dspy.LM(api_key=...)`` keeps it among its ``kwargs``), and nothing else of
them ever reaches an attribute. A base URL is reduced to its host and port.
"""

from __future__ import annotations

from collections.abc import Mapping  # (typing.Mapping makes every isinstance slow)
from typing import Any

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
_EMPTY: Mapping[str, Any] = {}


class LMIdentity:
    """Who one kind of request asks (``operation``, ``provider``, ``model``, ``host``, ``port``),
    with what its span and metrics carry made once, not per request: the span's name, the
    attributes common to the span and the metrics (``attributes``), and the attribute sets of the
    three histogram records (``input_tokens``/``output_tokens`` add ``gen_ai.token.type``).
    The dicts are shared by every request of that kind: a span gets a copy (a sampler may be
    handed it); the metrics SDK copies what it keeps."""

    __slots__ = ("operation", "provider", "model", "host", "port", "span_name", "attributes", "input_tokens",
                 "output_tokens")

    def __init__(self, operation: str, provider: str, model: str, host: Any, port: Any):
        self.operation, self.provider, self.model, self.host, self.port = operation, provider, model, host, port
        self.span_name = f"{operation} {model}"
        common: dict[str, Any] = {"gen_ai.operation.name": operation, "gen_ai.provider.name": provider,
                                  "gen_ai.request.model": model}
        if host is not None:
            common["server.address"] = host
            if port is not None:
                common["server.port"] = port
        self.attributes = common
        self.input_tokens = {**common, "gen_ai.token.type": "input"}
        self.output_tokens = {**common, "gen_ai.token.type": "output"}


_identities: dict[tuple[type, str, Any], LMIdentity] = {}


def identity(instance: Any, settings: Mapping[str, Any] | None = None) -> LMIdentity:
    """The :class:`LMIdentity` of the LM called: a ``dspex.LM``, a ``dspy.LM`` or a custom LM
    object (its ``model``, when it has one); ``settings``: its :func:`own_settings`, when read already."""
    model = getattr(instance, "model", None)
    if not isinstance(model, str):
        model = type(instance).__name__
    if settings is None:
        settings = own_settings(instance)
    base = (settings.get("api_base") or settings.get("base_url")) if settings else None
    key = (type(instance), model, base if isinstance(base, str) else None)
    found = _identities.get(key)
    if found is None:
        found = _identities[key] = LMIdentity(*_identity(instance, model, key[2], settings))
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


def own_settings(instance: Any) -> Mapping[str, Any]:
    """The LM object's own settings (``dspex.LM.settings``, ``dspy.LM.kwargs``), read, never kept."""
    found = getattr(instance, "settings", None)
    if type(found) is dict or isinstance(found, Mapping):
        return found
    found = getattr(instance, "kwargs", None)
    return found if type(found) is dict or isinstance(found, Mapping) else _EMPTY


def request_attributes(own: Mapping[str, Any], call_settings: Mapping[str, Any], into: dict[str, Any]) -> None:
    """Add the request settings (the LM's ``own``, then the call's, which win) to ``into``."""
    for source in (own, call_settings):
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


def usage_tokens(entries: list[tuple[str, Mapping[str, Any]]]) -> tuple[int, int]:
    """``(input tokens, output tokens)`` summed over the ``(model, usage)`` entries a call recorded."""
    prompt = completion = 0
    for _, entry in entries:
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
