"""DSPy's errors the layer's modules raise and catch (``dspy.utils.exceptions``), as subclasses of
dspex's own, so that what native raises is caught where a DSPy program catches DSPy's class:
``except ContextWindowExceededError`` in ReAct catches dspex's (an LM's context window was
exceeded) and DSPy's (raised by a custom LM or a test), and the same for ``AdapterParseError``.
"""

from __future__ import annotations

import traceback
from typing import Any

import dspex_core

__all__ = ["AdapterParseError", "ContextWindowExceededError", "format_error_for_lm"]


class ContextWindowExceededError(dspex_core.ContextWindowExceededError):
    """The prompt did not fit the model's context window (DSPy's arguments and ``code``)."""

    default_code = "context_window_exceeded"

    def __init__(self, message: str = "", *, code: str | None = None, model: str | None = None,
                 provider: str | None = None, provider_code: str | None = None, status: int | None = None,
                 request_id: str | None = None, retry_after: float | None = None):
        self.message = message
        self.code = code or self.default_code
        self.provider = provider
        self.provider_code = provider_code
        self.request_id = request_id
        self.retry_after = retry_after
        prefix = f"[{model}] " if model else ""
        super().__init__(f"{prefix}{message}" if message else prefix.rstrip(), model=model or "", status=status)
        self.model = model


class AdapterParseError(dspex_core.AdapterParseError):
    """An adapter could not parse the LM's reply into the signature's outputs (DSPy's arguments and message)."""

    default_code = "adapter_parse_error"

    def __init__(self, adapter_name: str, signature: Any, lm_response: str, message: str | None = None,
                 parsed_result: dict[str, Any] | None = None):
        self.adapter_name = adapter_name
        self.signature = signature
        self.lm_response = lm_response
        self.parsed_result = parsed_result
        self.code = self.default_code
        text = f"{message}\n\n" if message else ""
        text += (f"Adapter {adapter_name} failed to parse the LM response. \n\n"
                 f"LM Response: {lm_response} \n\n"
                 f"Expected to find output fields in the LM response: [{', '.join(signature.output_fields.keys())}] "
                 "\n\n")
        if parsed_result is not None:
            text += f"Actual output fields parsed from the LM response: [{', '.join(parsed_result.keys())}] \n\n"
        super().__init__(text)


def format_error_for_lm(error: BaseException, *, traceback_frames: int = 0) -> str:
    """An exception as an LM is shown it: ``str(error)``, or a traceback of at most ``traceback_frames`` frames."""
    if traceback_frames <= 0:
        return str(error)
    return "\n" + "".join(
        traceback.format_exception(type(error), error, error.__traceback__, limit=traceback_frames)).strip()
