"""Language models as dspex sees them: a description (:class:`LM`) or an object to call.

:class:`LM` only *describes* a model, the way ``dspy.LM`` is written
(``LM("openai/gpt-4o-mini", temperature=0.2, api_base=...)``); each backend turns it into its
own client. Anything implementing :class:`LanguageModel` (messages in, completions out) can
be configured instead, and every backend calls that very object: this is how tests, parity
checks and the offline demo model work.

Credentials are kept out of ``repr``, equality, hashing and :meth:`LM.public_settings`, so an
``LM`` can be logged, emitted in telemetry or saved without leaking a key.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

#: Settings that carry secrets; never shown, compared, or saved.
SECRET_SETTINGS = frozenset({"api_key", "headers", "extra_headers", "organization"})

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


@runtime_checkable
class LanguageModel(Protocol):
    """The custom-LM protocol: any object with this call can serve as a model.

    ``messages`` is a list of ``{"role": ..., "content": ...}`` dicts (OpenAI chat format);
    ``settings`` holds request settings such as ``temperature``, ``max_tokens`` and ``n``.
    The return value is one string per completion. An object may also define
    ``async def acall(self, messages, **settings) -> list[str]``; without it, async callers
    run ``__call__`` in a worker thread.
    """

    def __call__(self, messages: list[dict[str, Any]], **settings: Any) -> list[str]: ...


class LM:
    """A model description: ``"provider/model"`` plus request and client settings.

    Known settings (all optional): ``temperature``, ``max_tokens``, ``n``, ``stop``,
    ``api_base``, ``api_key``, ``cache``, ``num_retries``, ``timeout``, ``rollout_id``.
    Other keyword arguments are passed to the provider as request fields.
    """

    __slots__ = ("model", "settings", "_secrets")

    def __init__(self, model: str, **settings: Any):
        if not isinstance(model, str) or not model.strip():
            from dspex_core.errors import ConfigError

            raise ConfigError(f"LM needs a model string like 'openai/gpt-4o-mini', got {model!r}")
        self.model = model
        self._secrets = {k: settings.pop(k) for k in list(settings) if k in SECRET_SETTINGS}
        self.settings = settings

    @property
    def provider(self) -> str:
        """The part before the first ``/`` (``openai`` when there is none, as in LiteLLM)."""
        return self.model.split("/", 1)[0] if "/" in self.model else "openai"

    @property
    def model_name(self) -> str:
        """The model without its provider prefix."""
        return self.model.split("/", 1)[1] if "/" in self.model else self.model

    def secret(self, name: str, default: Any = None) -> Any:
        """A credential setting (``api_key``, ``headers``); for clients, never for display."""
        return self._secrets.get(name, default)

    def public_settings(self) -> dict[str, Any]:
        """Every setting except credentials."""
        return dict(self.settings)

    def copy(self, **changes: Any) -> "LM":
        """A copy with some settings changed (credentials carried over unless replaced)."""
        merged = {**self.settings, **self._secrets, **changes}
        return LM(changes.pop("model", self.model), **{k: v for k, v in merged.items() if k != "model"})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LM) and (self.model, self.settings) == (other.model, other.settings)

    def __hash__(self) -> int:
        return hash((self.model, tuple(sorted((k, repr(v)) for k, v in self.settings.items()))))

    def __repr__(self) -> str:
        shown = "".join(f", {k}={_public(k, v)!r}" for k, v in self.settings.items())
        hidden = "".join(f", {k}=<hidden>" for k in self._secrets)
        return f"LM({self.model!r}{shown}{hidden})"


def _public(key: str, value: Any) -> Any:
    """A setting as it may be shown: URLs lose any ``user:password@``."""
    if key in ("api_base", "base_url") and isinstance(value, str) and "@" in value:
        from dspex_core._redact import strip_credentials

        return strip_credentials(value)
    return value


def is_custom_lm(value: Any) -> bool:
    """Whether ``value`` is an object to call rather than an :class:`LM` description."""
    return value is not None and not isinstance(value, LM) and callable(value)
