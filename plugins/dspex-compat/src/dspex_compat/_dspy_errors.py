"""DSPy's error classes that RLM and the interpreters raise or catch (``dspy.DSPyError``, ...).

DSPy's errors carry structured metadata (``code``, ``model``, ``provider``, ...) and a message
prefixed with the model's name. The layer keeps the part of that hierarchy code-executing modules
need: the base, the LM errors ``llm_query_batched`` turns into ``[ERROR]`` lines, and the
formatter every module uses when it tells the LM about a failure.
"""

from __future__ import annotations

__all__ = ["DSPyError", "LMError", "LMTransportError", "LMConfigurationError", "LMNotConfiguredError",
           "format_error_for_lm"]


class DSPyError(Exception):
    """The base of DSPy's errors, with DSPy's optional metadata."""

    default_code: str | None = None

    def __init__(self, message: str = "", *, code: str | None = None, model: str | None = None,
                 provider: str | None = None, provider_code: str | None = None, status: int | None = None,
                 request_id: str | None = None, retry_after: float | None = None):
        self.message = message
        self.code = code or self.default_code
        self.model = model
        self.provider = provider
        self.provider_code = provider_code
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        prefix = f"[{model}] " if model else ""
        super().__init__(f"{prefix}{message}" if message else prefix.rstrip())


class LMError(DSPyError):
    """A failure at the language model's boundary."""

    default_code = "lm_error"


class LMTransportError(LMError):
    """The request failed before the provider answered (network, DNS, TLS, ...)."""

    default_code = "transport"


class LMConfigurationError(LMError):
    """The LM is not set up so that it can be called."""

    default_code = "configuration"


class LMNotConfiguredError(LMConfigurationError):
    """No LM was configured where one is needed."""

    default_code = "not_configured"


def format_error_for_lm(error: BaseException, *, traceback_frames: int = 0) -> str:
    """An exception as the text an LM is shown: ``str(error)``, or a traceback of at most
    ``traceback_frames`` frames."""
    if traceback_frames <= 0:
        return str(error)
    import traceback

    return "\n" + "".join(
        traceback.format_exception(type(error), error, error.__traceback__, limit=traceback_frames)).strip()
