"""Prompts without a call: what ``ref.render(**inputs)`` returns and how a backend builds it.

DSPy users have long asked to see the prompt a module will send before paying for the call.
``ref.render(**inputs)`` asks the module's implementation for exactly the request its next call
with those inputs would send (the backend renders with its own adapter; the LM is not called)
and returns it as one dict, the same shape on every backend:

``{"messages": [...], "settings": {...}, "model": ...}``

* ``messages``: the chat messages, as the LM would receive them;
* ``settings``: the request settings sent with them. For a :class:`~dspex_core.LM` these are
  the call's request settings (the LM's defaults merged with the module's and the call's
  ``config``; client settings such as retries, caching, timeouts, the engine and where to send,
  credentials and unset values are not sent), before the engine shapes them for the wire (one
  request per completion, the token limit's field: docs/engines.md); for a custom LM object,
  the keyword settings it is called with;
* ``model``: the LM's model string (``None`` for a custom LM object without a ``model``).

Rendering is served by the implementation (the contract's optional ``render(state, inputs,
**options)``); a backend that leaves it out is a :class:`~dspex_core.errors.CapabilityError`
naming the backend and the module type, never a guess made by the core. A render is never
routed elsewhere: another backend's prompt would not be the one this reference sends. Settings
never carry credentials (the secret settings are removed here too, whatever a backend passes).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core._credentials import SECRET_SETTINGS
from dspex_core.errors import CapabilityError, PluginError

__all__ = ["CLIENT_SETTINGS", "rendered", "render"]

#: LM settings that configure the client and are never sent to the provider (where to send,
#: credentials, caching, retrying, time limits); ``rollout_id`` only keys the cache.
CLIENT_SETTINGS = frozenset({
    "api_base", "base_url", "api_key", "headers", "extra_headers", "organization", "api_version",
    "custom_llm_provider", "model_type",
    "cache", "cache_dir", "cache_size", "num_retries", "timeout", "rollout_id",
    "retry_base_delay", "retry_max_delay", "retry_after_max", "cache_key_includes_credentials", "engine",
})


def rendered(messages: Any, settings: Mapping[str, Any], model: Any = None) -> dict[str, Any]:
    """The render result a backend returns: fresh copies of ``messages`` (each a dict) and of
    ``settings`` as sent (for a :class:`~dspex_core.LM`, the backend leaves out
    :data:`CLIENT_SETTINGS` and unset values first; a custom LM object gets its settings as they
    are), credentials removed whatever was passed, and the model string."""
    sent = {k: v for k, v in settings.items() if k not in SECRET_SETTINGS}
    return {"messages": [dict(m) for m in messages], "settings": sent,
            "model": model if model is None or isinstance(model, str) else str(model)}


def _checked(backend: str, module_type: str, result: Any) -> dict[str, Any]:
    """``result`` if it has the render shape, else a :class:`PluginError` naming the backend."""
    if (isinstance(result, dict) and isinstance(result.get("messages"), list)
            and isinstance(result.get("settings"), dict)
            and all(isinstance(m, dict) and "role" in m for m in result["messages"])):
        result.setdefault("model", None)
        return result
    raise PluginError(f"backend {backend!r} returned {type(result).__name__} from render() of {module_type!r}, "
                      f"not {{'messages': [...], 'settings': {{...}}}} (a bug in the backend's plugin)")


def render(ref: Any, inputs: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The request ``ref``'s next call with ``inputs`` and call ``options`` would send."""
    if not ref.has("render"):
        raise CapabilityError(f"backend {ref.backend!r} cannot render {ref.module_type!r} prompts: its "
                              f"implementation has no render(state, inputs, **options); the prompt is only seen "
                              f"when the module is called (dspex.inspect_history() shows it afterwards)")
    result = ref.implementation.render(ref.state, inputs, **options)
    return _checked(ref.backend, ref.module_type, result)
