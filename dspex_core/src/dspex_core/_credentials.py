"""Where an LM's credentials come from, and every form in which its requests carry them.

A model's request can carry a secret from four sources: the ``api_key`` setting, the provider's
environment variable (``OPENAI_API_KEY``, read when no key is given), ``user:password@`` in the
base URL (sent as HTTP Basic), and header settings (``headers``/``extra_headers``, such as
``X-Api-Key``). This module knows all four, so that the redactor
(:mod:`dspex_core._redact`, through :mod:`dspex_core._secret_registry`) can hide each of them
wherever a server or a client library echoes it, and so that a backend can tell credentials
apart without holding them (:func:`digest`). Nothing here keeps a secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dspex_core._url_credentials import basic_credentials, basic_token, url_secrets
from dspex_core.errors import ConfigError

#: Settings that carry secrets; never shown, compared, or saved.
SECRET_SETTINGS = frozenset({"api_key", "headers", "extra_headers", "organization"})

#: Settings whose URL may carry ``user:password@``.
URL_SETTINGS = ("api_base", "base_url")

#: Per-provider environment variables holding the API key, as DSPy / LiteLLM read them.
PROVIDER_KEY_ENV = {
    "openai": "OPENAI_API_KEY",
    "azure": "AZURE_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "hosted_vllm": "HOSTED_VLLM_API_KEY",
}

#: Per-provider environment variables holding the base URL.
PROVIDER_BASE_ENV = {
    "openai": "OPENAI_API_BASE",
    "ollama": "OLLAMA_API_BASE",
    "ollama_chat": "OLLAMA_API_BASE",
    "hosted_vllm": "HOSTED_VLLM_API_BASE",
    "openrouter": "OPENROUTER_API_BASE",
}

#: The shortest value hidden: a 1-3 character "key" (``"x"``, a placeholder for a local server)
#: would mask every occurrence of those letters in every message and log line.
MIN_SECRET_LENGTH = 4

#: A header whose name holds one of these is a credential whatever its value's length.
_AUTH_WORDS = ("auth", "key", "token", "secret", "password", "passwd", "cookie", "session", "signature",
               "credential")
#: Any other header value of at least this length is hidden too (header settings are secrets).
_OTHER_HEADER_MIN = 8
#: ``Authorization`` schemes whose token is also hidden on its own (a server may echo just it).
_SCHEMES = ("bearer ", "basic ", "token ", "apikey ", "key ")


#: Further variables a provider's key is read from (after the table's), as dspy's engines read them.
PROVIDER_KEY_ENV_ALSO = {"gemini": ("GOOGLE_API_KEY",), "azure": ("AZURE_OPENAI_API_KEY",)}


def key_env_names(provider: str) -> tuple[str, ...]:
    """The environment variables a provider's key may come from, in the order they are read: the
    table's, LiteLLM's ``<PROVIDER>_API_KEY`` convention for any other provider, then the others
    dspy's engines read (``GOOGLE_API_KEY`` for Gemini, ``AZURE_OPENAI_API_KEY`` for Azure)."""
    conventional = f"{provider.upper()}_API_KEY" if provider else ""
    known = PROVIDER_KEY_ENV.get(provider)
    also = PROVIDER_KEY_ENV_ALSO.get(provider, ())
    return tuple(name for name in dict.fromkeys((known, conventional, *also)) if name)


def base_env_names(provider: str) -> tuple[str, ...]:
    """The environment variables a provider's base URL may come from."""
    known = PROVIDER_BASE_ENV.get(provider)
    conventional = (f"{provider.upper()}_API_BASE", f"{provider.upper()}_BASE_URL") if provider else ()
    return tuple(name for name in dict.fromkeys((known, *conventional)) if name)


#: The key a backend passes to a client library that insists on one (dspy.LM) for an endpoint the
#: user named (``api_base=``) and gave no key: a local OpenAI-compatible server needs none, and the
#: native client sends none. It is sent as ``Bearer`` to that server only, and is not a secret.
NO_KEY_PLACEHOLDER = "dspex-no-key"


def has_environment_key(provider: str) -> bool:
    """Whether one of the provider's key variables (:func:`key_env_names`) is set."""
    return any(os.environ.get(name) for name in key_env_names(provider))


def names_endpoint(settings: Mapping[str, Any], provider: str) -> bool:
    """Whether the user chose where requests go: ``api_base``/``base_url`` in the settings, or
    the provider's base-URL variable (:func:`base_env_names`) in the environment."""
    return any(settings.get(name) for name in URL_SETTINGS) or any(
        os.environ.get(name) for name in base_env_names(provider))


def missing_key_error(model: str, provider: str, detail: str = "") -> ConfigError:
    """What every backend raises, before any request, for a hosted provider's endpoint with no key
    (from ``api_key=`` or the provider's variable); ``detail``: the client library's own words."""
    names = " or ".join(key_env_names(provider)) or "the provider's API key variable"
    return ConfigError(f"no API key found for {model!r}: set {names} in the environment (or pass api_key= to "
                       f"dspex.LM); a local OpenAI-compatible server needs no key: pass api_base=" + detail)


def is_auth_header(name: Any) -> bool:
    """Whether a header's name says it carries a credential (``Authorization``, ``X-Api-Key``, ...)."""
    lowered = str(name).lower()
    return any(word in lowered for word in _AUTH_WORDS)


def header_secrets(headers: Any) -> list[str]:
    """The texts to hide for a ``headers``/``extra_headers`` setting: values of auth-like headers,
    other long values, and the token of an ``Authorization``-style value on its own (decoded too,
    for Basic)."""
    if not headers or not isinstance(headers, Mapping):
        return []
    found: list[str] = []
    for name, value in headers.items():
        if value is None:
            continue
        text = str(value)
        if len(text) < (MIN_SECRET_LENGTH if is_auth_header(name) else _OTHER_HEADER_MIN):
            continue
        found.append(text)
        lowered = text.lower()
        scheme = next((s for s in _SCHEMES if lowered.startswith(s)), None)
        if scheme is not None:
            token = text[len(scheme):].strip()
            found.append(token)
            if scheme == "basic ":
                found.extend(_decoded_basic(token))
    return found


def _decoded_basic(token: str) -> list[str]:
    import base64
    import binascii

    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return []
    password = decoded.partition(":")[2]
    return [decoded, *((password,) if len(password) >= MIN_SECRET_LENGTH else ())]


def settings_secrets(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """Every text to hide for an LM whose settings (credentials included) are ``settings``:
    ``api_key``, ``organization``, header values and base-URL credentials in all their forms.
    The environment's keys are not included: :func:`environment_secrets` reads them."""
    found: list[str] = []
    for name in ("api_key", "organization"):
        value = settings.get(name)
        if isinstance(value, str):
            found.append(value)
    for name in ("headers", "extra_headers"):
        found.extend(header_secrets(settings.get(name)))
    for name in URL_SETTINGS:
        found.extend(url_secrets(settings.get(name)))
    return usable(found)


def environment_secrets(key_names: Any, base_names: Any) -> tuple[str, ...]:
    """The current values of these key variables, and the credentials in these base-URL
    variables (read now: a key rotated in the environment is hidden from then on)."""
    found: list[str] = []
    environ = os.environ
    for name in key_names:
        value = environ.get(name)
        if value:
            found.append(value)
    for name in base_names:
        value = environ.get(name)
        if value and "@" in value:
            found.extend(url_secrets(value))
    return usable(found)


def usable(texts: Any) -> tuple[str, ...]:
    """``texts`` without duplicates and values too short to hide, longest first (so that
    ``user:password`` is hidden before ``password`` alone)."""
    kept = {t for t in texts if isinstance(t, str) and len(t) >= MIN_SECRET_LENGTH}
    return tuple(sorted(kept, key=len, reverse=True))


def basic_auth_header(url: str | None) -> str | None:
    """``Basic base64(user:password)`` for a URL with credentials (what httpx and requests send)."""
    found = basic_credentials(url)
    if found is None:
        return None
    return "Basic " + basic_token(*found)


def digest(*parts: Any) -> str:
    """A sha256 over the credentials a request carries (keys, header values, URL credentials):
    tells two configurations apart, e.g. in a cache key, without holding or revealing them."""
    import hashlib
    import json

    data = json.dumps(list(parts), sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
