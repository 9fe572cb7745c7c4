"""DSPy 3.4's error classes (``dspy.DSPyError``, ``dspy.LMRateLimitError``, ``dspy.utils.exceptions``).

DSPy's errors carry structured metadata (``code``, ``model``, ``provider``, ``status``, ...) and a
message prefixed with the model's name; ``except dspy.LMRateLimitError`` is how a DSPy program
backs off. The layer raises these classes where DSPy does: what dspex raises inside a call is
projected onto them at the layer's boundary (:mod:`._error_boundary`). Two of them are also dspex's
own classes, because user code raises them into dspex: a custom LM's
:class:`ContextWindowExceededError` is what native's ReAct catches to shorten its trajectory, and a
custom adapter's :class:`AdapterParseError` is a parse failure to native.
"""

from __future__ import annotations

from typing import Any

import dspex_core

__all__ = ["DSPyError", "LMError", "LMTransportError", "LMLockTimeoutError", "LMCollectionLimitError",
           "LMConfigurationError", "LMNotConfiguredError", "LMUnsupportedFeatureError", "LMProviderError",
           "LMUnexpectedError", "LMStreamAssemblyError", "LMAuthError", "LMBillingError", "LMRateLimitError",
           "LMInvalidRequestError", "ContextWindowExceededError", "LMUnsupportedModelError", "LMTimeoutError",
           "LMServerError", "AdapterParseError", "is_retryable_lm_error", "format_error_for_lm"]


class DSPyError(Exception):
    """The base of DSPy's errors, with DSPy's optional metadata."""

    default_code: str | None = None

    def __init__(self, message: str = "", *, code: str | None = None, model: str | None = None,
                 provider: str | None = None, provider_code: str | None = None, status: int | None = None,
                 request_id: str | None = None, retry_after: float | None = None):
        prefix = f"[{model}] " if model else ""
        super().__init__(f"{prefix}{message}" if message else prefix.rstrip())
        # after the base's __init__: a dspex base class (below) sets model and status of its own
        self.message = message
        self.code = code or self.default_code
        self.model = model
        self.provider = provider
        self.provider_code = provider_code
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after


class LMError(DSPyError):
    """A failure at the language model's boundary."""

    default_code = "lm_error"


class LMTransportError(LMError):
    """The request failed before the provider answered (network, DNS, TLS, connection reset, ...)."""

    default_code = "transport"


class LMLockTimeoutError(LMError):
    """Local credential-lock contention, not a provider or authentication failure."""

    default_code = "lock_timeout"

    def __init__(self, message: str = "", *, path: str = "", lock_path: str = "", **kwargs: Any):
        self.path = path
        self.lock_path = lock_path
        super().__init__(message, **kwargs)


class LMCollectionLimitError(LMError):
    """A local collector reached its budget (never retried automatically)."""

    default_code = "collection_limit"

    def __init__(self, message: str = "", *, source: Any = None, **kwargs: Any):
        self._source = source
        self.limit = getattr(source, "limit", None)
        self.maximum = getattr(source, "maximum", None)
        self.retained_bytes = getattr(source, "retained_bytes", 0)
        self.retained_events = getattr(source, "retained_events", 0)
        self.partial_events = getattr(source, "partial_events", ())
        self.rejected_event = getattr(source, "rejected_event", None)
        super().__init__(message, **kwargs)

    @property
    def partial(self) -> Any:
        return self._source.partial if self._source is not None else None


class LMConfigurationError(LMError):
    """The LM or its provider client is not configured correctly."""

    default_code = "configuration"


class LMNotConfiguredError(LMConfigurationError):
    """The LM is missing required provider configuration or credentials."""

    default_code = "not_configured"


class LMUnsupportedFeatureError(LMError):
    """The LM or provider does not support a requested feature."""

    default_code = "unsupported_feature"

    def __init__(self, message: str = "", *, features: list[str] | None = None, feature: str | None = None,
                 issues: list[str] | None = None, **kwargs: Any):
        self.feature = feature
        self.features = list(features) if features is not None else ([feature] if feature is not None else [])
        self.issues = list(issues or [])
        super().__init__(message, **kwargs)


class LMProviderError(LMError):
    """The provider returned an error response (``status``, ``request_id``, ``retry_after`` when known)."""

    default_code = "provider"


class LMUnexpectedError(LMError):
    """An unclassified failure at the LM provider boundary."""

    default_code = "unexpected"


class LMStreamAssemblyError(LMUnexpectedError):
    """An incomplete or invalid stream (``partial`` carries what could be salvaged)."""

    default_code = "stream_assembly"

    def __init__(self, message: str = "", *, partial: Any = None, part_index: int | None = None, **kwargs: Any):
        self.partial = partial
        self.part_index = part_index
        super().__init__(message, **kwargs)


class LMAuthError(LMProviderError):
    """The provider rejected the request because authentication failed."""

    default_code = "auth"


class LMBillingError(LMProviderError):
    """The provider rejected the request because billing or quota failed."""

    default_code = "billing"


class LMRateLimitError(LMProviderError):
    """The provider rate-limited the request (``retry_after`` when the provider said)."""

    default_code = "rate_limit"


class LMInvalidRequestError(LMProviderError):
    """The provider rejected the request's shape or resource."""

    default_code = "invalid_request"


class ContextWindowExceededError(LMInvalidRequestError, dspex_core.ContextWindowExceededError):
    """The prompt did not fit the model's context window (ReAct shortens its trajectory on it)."""

    default_code = "context_window_exceeded"

    def __init__(self, *, model: str | None = None, message: str = "Context window exceeded", **kwargs: Any):
        super().__init__(message, model=model, **kwargs)


class LMUnsupportedModelError(LMInvalidRequestError):
    """The requested model is unavailable or unsupported by the provider."""

    default_code = "unsupported_model"


class LMTimeoutError(LMProviderError):
    """The provider request timed out."""

    default_code = "timeout"


class LMServerError(LMProviderError):
    """The provider failed while handling the request."""

    default_code = "server"


_RETRYABLE_LM_ERRORS = (LMRateLimitError, LMTimeoutError, LMServerError, LMTransportError, LMLockTimeoutError)


def is_retryable_lm_error(error: Exception) -> bool:
    """Whether an LM error is generally safe to retry (DSPy's transient classes)."""
    return isinstance(error, _RETRYABLE_LM_ERRORS)


def format_error_for_lm(error: BaseException, *, traceback_frames: int = 0) -> str:
    """An exception as the text an LM is shown: ``str(error)``, or a traceback of at most
    ``traceback_frames`` frames."""
    if traceback_frames <= 0:
        return str(error)
    import traceback

    return "\n" + "".join(
        traceback.format_exception(type(error), error, error.__traceback__, limit=traceback_frames)).strip()


class AdapterParseError(DSPyError, dspex_core.AdapterParseError):
    """An adapter could not parse the LM's reply into the signature's outputs (DSPy's arguments and
    message; ``raw`` is the reply, as dspex's parse errors keep it)."""

    default_code = "adapter_parse_error"

    def __init__(self, adapter_name: str, signature: Any, lm_response: str, message: str | None = None,
                 parsed_result: dict[str, Any] | None = None):
        self.adapter_name = adapter_name
        self.signature = signature
        self.lm_response = lm_response
        self.parsed_result = parsed_result
        text = f"{message}\n\n" if message else ""
        text += (f"Adapter {adapter_name} failed to parse the LM response. \n\n"
                 f"LM Response: {lm_response} \n\n"
                 f"Expected to find output fields in the LM response: [{', '.join(signature.output_fields.keys())}] "
                 "\n\n")
        if parsed_result is not None:
            text += f"Actual output fields parsed from the LM response: [{', '.join(parsed_result.keys())}] \n\n"
        super().__init__(text)
        self.raw = lm_response
