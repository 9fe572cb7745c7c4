"""LiteLLM's per-model rules on its route (``engine="litellm"``), which native applies before sending.

dspy sends a call through ``litellm.completion``, which checks the request against the model it
names before anything goes out: a setting among its OpenAI parameters that its config for the
provider does not list for that model name (the name it sends, without the provider prefix) is an
``UnsupportedParamsError`` (dspy's ``LMUnsupportedFeatureError``), e.g. ``response_format`` for
``gpt-4`` and ``gpt-3.5-turbo-16k`` (even though dspy, asking with the prefixed name, offers
``response_format`` to its JSON adapter), any ``temperature`` for ``gpt-5-search-api``; and its
o-series config sends the system message of a model without ``supports_system_messages`` (``o3``,
``o4-mini``, ...) as a user message. Native refuses the same requests before sending
(:class:`~dspex_core.ConfigError`) and rewrites the same messages; for Anthropic (its own client,
:mod:`.wire_anthropic_litellm`) also the models without sampling settings (no ``top_p``/``top_k``,
``temperature`` 1 only).

The rules are data: ``engine_routes.json``'s ``litellm_rules``, extracted from LiteLLM (through
dspy 3.4.1's pin) by ``tools/dspy_tables.py`` for the models of LiteLLM's map and dspy's snapshot;
a name neither knows gets the provider's answer for an unknown model (LiteLLM's own name patterns,
e.g. ``"gpt-5" in name and "search" in name``, are not replayed for such names).
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import CapabilityError, ConfigError

from dspex_native.lm.engine import tables

#: provider -> (refused for an unknown model, {model name: its refused keys}, models whose system message is a user's)
_rules: dict[str, tuple[frozenset[str], dict[str, frozenset[str]], frozenset[str]]] | None = None
_checked: frozenset[str] = frozenset()
_unvalidated: frozenset[str] = frozenset()


def _load() -> dict[str, tuple[frozenset[str], dict[str, frozenset[str]], frozenset[str]]]:
    global _rules, _checked, _unvalidated
    if _rules is None:
        data = tables()["litellm_rules"]
        _checked, _unvalidated = frozenset(data["checked"]), frozenset(data["unvalidated"])
        loaded = {}
        for provider, rules in data["providers"].items():
            default = frozenset(rules["default"])
            models = {name: default ^ frozenset(flips.split(",")) for name, flips in rules["models"].items()}
            loaded[provider] = (default, models, frozenset(rules["system_as_user"]))
        _rules = loaded
    return _rules


def resolved(model: str) -> tuple[str, str] | None:
    """``(model, the name sent)`` for a LiteLLM "-latest" alias (``anthropic/claude-opus-latest``:
    LiteLLM's get_llm_provider sends it, and reads its rules, as the model it stands for), else
    ``None``; the provider prefix is kept as written. An alias of an OpenAI reasoning model is a
    :class:`CapabilityError`: LiteLLM's settings rules for those (temperature with reasoning
    effort) are not built natively, and dspy's own check, which would catch them, goes by the name."""
    data = tables()["litellm_rules"]
    head, slash, rest = model.partition("/")
    provider, name = (head, rest) if slash and rest else ("openai", model)
    target = data["latest_aliases"].get(provider, {}).get(name)
    if target is None:
        return None
    if f"{provider}/{name}" in data["latest_aliases_of_reasoning_models"]:
        raise CapabilityError(
            f"LM {model!r} is LiteLLM's alias of {target!r}, a reasoning model, whose settings rules (temperature "
            f"with reasoning effort) the native client does not reproduce on LiteLLM's route; name the model "
            f"itself, use dspy's own engine, or implementation='dspy'")
    return (f"{head}/{target}" if slash and rest else target), target


def apply(model: str, request: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` as LiteLLM sends them for ``model`` (``provider/name`` as written, or a bare
    OpenAI name); a :class:`ConfigError` for a setting of ``request`` LiteLLM refuses for it, and
    the settings it leaves out (an unsupported ``user``, or ``n=1``) taken out of ``request``, the
    ones it adds (OpenRouter's ``usage: {"include": true}``) put in."""
    rules = _load()
    head, slash, rest = model.partition("/")
    provider, name = (head, rest) if slash and rest else ("openai", model)
    if provider == "openrouter":  # its config always asks for the cost in the usage (transform_request)
        request.setdefault("usage", {"include": True})
    found = rules.get(provider)
    if found is None:
        return messages
    default, models, system_as_user = found
    unsupported = models.get(name, default)
    bad = [key for key, value in request.items()
           if key in unsupported and key in _checked and value is not None and not (key == "n" and value == 1)]
    if bad:
        raise ConfigError(
            f"LiteLLM refuses {', '.join(map(repr, bad))} for {model!r} (engine='litellm'): its {provider} config "
            f"does not support {'it' if len(bad) == 1 else 'them'} for {name!r}, and dspy fails the same way before "
            f"sending; leave the setting out (response_format comes from the JSON adapter: use adapter='chat')")
    if provider == "anthropic":
        _check_sampling(name, request)
    for key in _unvalidated & unsupported:  # never refused: LiteLLM leaves an unsupported one out (user)
        request.pop(key, None)
    if request.get("n") == 1 and "n" in unsupported:  # nor is n=1 (Mistral's config drops it)
        del request["n"]
    if name in system_as_user:
        return [{"content": m.get("content"), "role": "user"} if m.get("role") == "system" else m for m in messages]
    return messages


def _check_sampling(name: str, request: dict[str, Any]) -> None:
    """LiteLLM's refusal of sampling settings for the Anthropic models without them (Claude Opus
    4.7 and later, ...): ``top_p``, ``top_k``, a ``temperature`` other than 1."""
    if name not in tables()["litellm_rules"]["anthropic_without_sampling"]:
        return
    for key in ("temperature", "top_p", "top_k"):
        value = request.get(key)
        if value is not None and not (key == "temperature" and value == 1):
            raise ConfigError(f"LiteLLM refuses {key}={value!r} for anthropic/{name} (engine='litellm'): the model "
                              f"takes no sampling settings (only temperature=1), and dspy fails the same way before "
                              f"sending; leave the setting out")
