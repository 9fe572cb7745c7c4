"""Language models as dspex sees them: a description (:class:`LM`) or an object to call.

:class:`LM` only *describes* a model, the way ``dspy.LM`` is written
(``LM("openai/gpt-4o-mini", temperature=0.2, api_base=...)``); each backend turns it into its
own client. Anything implementing :class:`LanguageModel` (messages in, completions out) can
be configured instead, and every backend calls that very object: this is how tests, parity
checks and the offline demo model work.

Credentials are kept out of ``repr``, equality, hashing and :meth:`LM.public_settings`, so an
``LM`` can be logged, emitted in telemetry or saved without leaking a key. Every secret an ``LM``
will send (its key, URL credentials, header values, and its provider's key variable) is known
to the redactor for as long as the ``LM`` lives (:mod:`dspex_core._secret_registry`), and log
records of the LM libraries are redacted from the first ``LM`` on
(:mod:`dspex_core._log_redaction`).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from dspex_core import _secret_registry
# The credential tables live with the other credential rules; they stay importable from here.
from dspex_core._credentials import (
    PROVIDER_BASE_ENV,
    PROVIDER_KEY_ENV,
    SECRET_SETTINGS,
    base_env_names,
    key_env_names,
    settings_secrets,
)
from dspex_core._settings_rules import check_engine, check_settings
from dspex_core._url_credentials import strip_credentials

__all__ = ["LM", "LanguageModel", "is_custom_lm", "SECRET_SETTINGS", "PROVIDER_KEY_ENV", "PROVIDER_BASE_ENV"]


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
    ``api_base``, ``api_key``, ``cache``, ``num_retries``, ``timeout``, ``rollout_id``,
    ``cache_key_includes_credentials`` (``True``: an answer cached under one key, URL
    credentials or header set is never served to another; see docs/credentials.md),
    ``engine`` (which of dspy 3.4's routes the requests follow, as ``dspy.LM(engine=...)``:
    ``"auto"``, the default, sends what dspy's own engine sends (one request per completion,
    ``max_completion_tokens`` for OpenAI) where it can carry the request; ``"litellm"`` sends
    what dspy's LiteLLM route sends (one request with ``n``, ``max_tokens``); ``"lm15"`` is the
    own engine or an error; anything else is a ``ConfigError`` listing these).
    Other keyword arguments are passed to the provider as request fields.
    """

    __slots__ = ("model", "settings", "_secrets", "__weakref__")

    def __init__(self, model: str, **settings: Any):
        if not isinstance(model, str) or not model.strip():
            from dspex_core.errors import ConfigError

            raise ConfigError(f"LM needs a model string like 'openai/gpt-4o-mini', got {model!r}")
        option = settings.get("cache_key_includes_credentials")
        if option is not None and not isinstance(option, bool):
            from dspex_core.errors import ConfigError

            raise ConfigError(f"cache_key_includes_credentials must be True or False, got {option!r}")
        check_settings(f"LM {model!r}", settings)  # temperature="hot", n=0: as a module's LM settings
        check_engine(f"LM {model!r}", settings.get("engine"))
        self.model = model
        self._secrets = {k: settings.pop(k) for k in list(settings) if k in SECRET_SETTINGS}
        self.settings = settings
        _guard(self)

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
        """Every setting except credentials (a base URL without its ``user:password@``)."""
        return {k: _public(k, v) for k, v in self.settings.items()}

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
        return strip_credentials(value)
    return value


#: ``dspex_core._log_redaction.install`` once an LM was made (logging is imported only then)
_install_log_redaction: Any = None


def _guard(lm: LM) -> None:
    """Make the redactor know what ``lm`` will send, and redact the LM libraries' log records."""
    global _install_log_redaction
    provider = lm.provider
    if provider not in PROVIDER_KEY_ENV:
        _secret_registry.watch_environment(key_env_names(provider), base_env_names(provider))
    settings = lm.settings
    if lm._secrets or "@" in str(settings.get("api_base") or "") or "@" in str(settings.get("base_url") or ""):
        _secret_registry.hold(lm, settings_secrets({**settings, **lm._secrets}))
    if _install_log_redaction is None:
        from dspex_core._log_redaction import install

        _install_log_redaction = install
    _install_log_redaction()


def is_custom_lm(value: Any) -> bool:
    """Whether ``value`` is an object to call rather than an :class:`LM` description."""
    return value is not None and not isinstance(value, LM) and callable(value)
