"""Model strings as DSPy / LiteLLM write them, resolved to an endpoint and its wire format.

``"openai/gpt-4o-mini"`` -> ``https://api.openai.com/v1`` with ``OPENAI_API_KEY``;
``"ollama_chat/llama3.2"`` -> Ollama's OpenAI-compatible ``http://localhost:11434/v1``, or
``api_base=`` as written (dspy's own engine reads no ``OLLAMA_API_BASE`` for ``ollama_chat/``; for
``ollama/`` that variable sends dspy LiteLLM's way, to Ollama's own API, not built natively:
:mod:`.engine`); ``"hosted_vllm/x"`` -> ``HOSTED_VLLM_API_BASE``; any other
OpenAI-compatible provider needs ``api_base=``. Providers with a wire format of their own, as
dspy 3.4 speaks to them by default:

* ``anthropic/...``: the Messages API (:mod:`.wire_anthropic`), ``ANTHROPIC_API_KEY``;
* ``gemini/...``: GenerateContent (:mod:`.wire_gemini`), ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``;
* ``azure/<deployment>``: OpenAI's body at ``{api_base}/openai/deployments/<deployment>/chat/completions
  ?api-version=...`` with an ``api-key`` header (LiteLLM's route, which dspy takes for Azure with an
  ``api_base`` or ``AZURE_API_BASE``), ``AZURE_API_KEY``, ``AZURE_API_VERSION``.

``api_base=`` / ``api_key=`` settings win over the environment. A hosted provider's own endpoint
(no ``api_base`` and no base-URL variable) with no key is a :class:`~dspex_core.ConfigError`
before any request, as dspy.LM refuses it (a request would only fail, after retries, with a 401
or, offline, a DNS error); an endpoint the user named needs no key (a local server), but Azure's
always does. The other providers with their own wire format (Bedrock, Vertex AI, Cohere, ...)
are not spoken natively: without an ``api_base`` they raise :class:`~dspex_core.CapabilityError`,
so the router can fall back to the dspy backend.

OpenAI's reasoning models (o1/o3/o4/o5, gpt-5 but ``-chat``) follow dspy.LM's rules: their
``max_tokens`` is sent as ``max_completion_tokens``, and an LM with ``temperature`` other
than 1.0 or ``max_tokens`` under 16000 is refused with a ``ConfigError`` before any request.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field

from dspex_core.backend import LM, PROVIDER_BASE_ENV, PROVIDER_KEY_ENV, credentials, strip_credentials
from dspex_core.errors import CapabilityError, ConfigError

from dspex_native.lm import wire_anthropic, wire_gemini

#: Public OpenAI-compatible endpoints, used when neither ``api_base`` nor the env var is set.
DEFAULT_BASES = {
    "openai": "https://api.openai.com/v1",
    "ollama": "http://localhost:11434/v1",
    "ollama_chat": "http://localhost:11434/v1",
    "together_ai": "https://api.together.xyz/v1",
    "groq": "https://api.groq.com/openai/v1",
    "mistral": "https://api.mistral.ai/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "fireworks_ai": "https://api.fireworks.ai/inference/v1",
    "anthropic": wire_anthropic.DEFAULT_BASE,
    "gemini": wire_gemini.DEFAULT_BASE,
}

#: Providers spoken in a wire format of their own (the module that writes and reads it).
WIRES = {"anthropic": wire_anthropic, "gemini": wire_gemini}

#: What makes LiteLLM treat an Azure deployment as an o-series model (its own request rules).
_AZURE_O_SERIES = ("o1", "o3", "o4", "o_series/")

#: Base-URL variables the core's table does not list (LiteLLM's for Azure).
_BASE_ENV = {"azure": "AZURE_API_BASE"}

#: LiteLLM's ``api-version`` for Azure when neither ``api_version=`` nor ``AZURE_API_VERSION`` is set.
AZURE_DEFAULT_API_VERSION = "2025-02-01-preview"

#: Providers whose native wire format is not OpenAI's chat completions.
NOT_OPENAI_COMPATIBLE = frozenset({"azure_ai", "vertex_ai", "bedrock", "cohere", "sagemaker", "databricks",
                                   "huggingface", "replicate"})

#: OpenAI's reasoning families (o1/o3/o4/o5, every gpt-5 but ``-chat``), as dspy.LM matches them.
_OPENAI_REASONING = re.compile(
    r"^(?:o[1345](?:-(?:mini|nano|pro))?(?:-\d{4}-\d{2}-\d{2})?|gpt-5(?:\.\d+)*(?!-chat)(?:-.*)?)$")


def is_openai_reasoning_model(model: str) -> bool:
    """Whether ``model`` is an OpenAI reasoning model: these take ``max_completion_tokens`` and
    reject ``max_tokens``, so the client renames it (as dspy.LM does for them)."""
    return _OPENAI_REASONING.match(model.rsplit("/", 1)[-1].lower()) is not None


#: The smallest ``max_tokens`` dspy.LM accepts for an OpenAI reasoning model.
REASONING_MIN_TOKENS = 16000


def check_reasoning_settings(model: str, settings: dict) -> None:
    """Refuse what dspy.LM refuses for OpenAI reasoning models (``temperature`` other than 1.0,
    ``max_tokens`` under 16000), with the same advice, before any request is made."""
    temperature, max_tokens = settings.get("temperature"), settings.get("max_tokens")
    if (temperature and temperature != 1.0) or (max_tokens and max_tokens < REASONING_MIN_TOKENS):
        raise ConfigError(
            f"{model!r}: OpenAI's reasoning models require temperature=1.0 or None and max_tokens >= "
            f"{REASONING_MIN_TOKENS} or None (got temperature={temperature!r}, max_tokens={max_tokens!r}), "
            f"e.g. dspex.LM('openai/gpt-5', temperature=1.0, max_tokens=16000); dspy.LM refuses the same")


@dataclass(frozen=True)
class Endpoint:
    """Where and how to send a model's requests. ``repr`` never shows the key or the base URL's
    credentials: ``base_url`` has none, they are kept apart as the Basic ``authorization`` they
    are sent as (what httpx would make of ``user:password@`` in the URL, which it also logs)."""

    provider: str
    model: str  # the full model string, as configured
    model_name: str  # what is sent as ``model`` in the body
    base_url: str  # no trailing slash, no credentials in it
    api_key: str | None = field(default=None, repr=False, compare=False)
    key_env: str | None = None  # the env var the key would come from (for error hints)
    #: ``Basic ...`` for a base URL given with ``user:password@``, else ``None``
    basic_auth: str | None = field(default=None, repr=False, compare=False)
    api_version: str | None = None  # Azure's ``api-version`` query parameter

    @property
    def chat_url(self) -> str:
        wire = WIRES.get(self.provider)
        if wire is not None:
            return wire.url(self.base_url, self.model_name)
        if self.provider == "azure":
            return (f"{self.base_url}/openai/deployments/{self.model_name}/chat/completions"
                    f"?api-version={self.api_version}")
        return f"{self.base_url}/chat/completions"

    @property
    def key_hash(self) -> str:
        """A short digest of the key: tells configurations apart without holding the key."""
        if not self.api_key:
            return ""
        return hashlib.sha256(self.api_key.encode("utf-8")).hexdigest()[:16]


def fireworks_resource_name(name: str) -> str:
    """The model LiteLLM's Fireworks client sends for ``fireworks_ai/<name>``: Fireworks' resource
    name (``accounts/fireworks/models/<name>``, routers under ``accounts/fireworks/routers/``)."""
    if name.startswith(("accounts/", "FW-")) or "#" in name:
        return name
    if name.startswith(("routers/", "models/")):
        return f"accounts/fireworks/{name}"
    if name.endswith("-fast") or name in ("firerouter", "auto", "auto-instant") or name.startswith("firerouter/"):
        return f"accounts/fireworks/routers/{name}"
    return f"accounts/fireworks/models/{name}"


def _sends_credentials(lm: LM) -> bool:
    """Whether the LM's header settings carry a credential of their own (``Authorization``, ``X-Api-Key``)."""
    for name in ("headers", "extra_headers"):
        headers = lm.secret(name)
        if isinstance(headers, dict) and any(credentials.is_auth_header(k) for k in headers):
            return True
    return False


def resolve(lm: LM) -> Endpoint:
    """The endpoint for ``lm`` (see the module docstring for the rules)."""
    provider, model_name = lm.provider, lm.model_name
    if not model_name:
        raise ConfigError(f"model {lm.model!r} has a provider prefix but no model name after it")
    base = lm.settings.get("api_base") or lm.settings.get("base_url")
    hosted_default = False
    if not base:
        # (``ollama_chat``: dspy's own engine takes it and reads no base-URL variable; ``OLLAMA_API_BASE``
        # is LiteLLM's, which dspy uses for ``ollama/`` only, sending it LiteLLM's way)
        env = None if provider == "ollama_chat" else PROVIDER_BASE_ENV.get(provider) or _BASE_ENV.get(provider)
        base = os.environ.get(env) if env else None
        if not base and provider in DEFAULT_BASES:
            base = DEFAULT_BASES[provider]
            hosted_default = base.startswith("https://")
    if not base:
        if provider == "azure" and os.environ.get("AZURE_OPENAI_ENDPOINT"):
            raise CapabilityError(
                f"{lm.model!r}: Azure through AZURE_OPENAI_ENDPOINT (dspy's own engine's Azure route) is not "
                f"built natively; pass api_base= (or set AZURE_API_BASE) of the Azure resource, "
                f"or use the dspy backend")
        if provider in NOT_OPENAI_COMPATIBLE:
            raise CapabilityError(
                f"the native LM client speaks OpenAI-compatible HTTP only; provider {provider!r} "
                f"({lm.model!r}) needs api_base= of an OpenAI-compatible endpoint, or the dspy backend")
        env = PROVIDER_BASE_ENV.get(provider) or _BASE_ENV.get(provider)
        hint = f" or set {env}" if env else ""
        where = "the Azure resource" if provider == "azure" else "an OpenAI-compatible server"
        raise ConfigError(f"no base URL known for provider {provider!r} ({lm.model!r}): "
                          f"pass api_base= of {where}{hint}")
    if not isinstance(base, str) or not base.startswith(("http://", "https://")):
        raise ConfigError(f"api_base for {lm.model!r} must be an http(s) URL")
    base = base.rstrip("/")  # (as written: dspy's own engine posts to {api_base}/chat/completions, Ollama's too)
    if provider == "mistral" and not base.endswith("/v1"):  # LiteLLM's Mistral client adds /v1 to any base
        base += "/v1"
    if provider == "fireworks_ai":
        model_name = fireworks_resource_name(model_name)
    # the first of the provider's variables that is set (GEMINI_API_KEY, then GOOGLE_API_KEY, ...)
    key_envs = credentials.key_env_names(provider) if provider in WIRES or provider == "azure" else \
        (PROVIDER_KEY_ENV.get(provider, "OPENAI_API_KEY" if provider == "openai" else None),)
    key_env = next((name for name in key_envs if name and os.environ.get(name)), key_envs[0])
    api_key = lm.secret("api_key") or (os.environ.get(key_env) if key_env else None) or None
    if api_key is None and (hosted_default or provider == "azure") and not _sends_credentials(lm):
        raise credentials.missing_key_error(lm.model, provider)
    api_version = None
    if provider == "azure":
        if any(marker in model_name for marker in _AZURE_O_SERIES):
            raise CapabilityError(
                f"{lm.model!r}: LiteLLM's rules for Azure o-series deployments (a name with o1, o3 or o4: system "
                f"messages rewritten per its model map) are not built natively; use the dspy backend")
        api_version = str(lm.settings.get("api_version") or os.environ.get("AZURE_API_VERSION")
                          or AZURE_DEFAULT_API_VERSION)
    return Endpoint(provider, lm.model, model_name, strip_credentials(base), api_key, key_env,
                    credentials.basic_auth_header(base), api_version)
