"""Errors as a ReAct agent shows them to the LM, and the errors its loop raises itself.

A tool that fails does not stop the agent: DSPy records ``Execution error in <tool>: <error>``
as the step's observation, the error formatted by ``format_error_for_lm`` with a traceback of at
most five frames, so that the LM can react to it. The frames are this process's own (the agent
loop's and the tool's), so their file names differ from DSPy's; the exception's type and
message, which end the text, are the same.
"""

from __future__ import annotations

from dspex_core.errors import ContextWindowExceededError

#: DSPy's messages for a trajectory that cannot be shortened enough.
CANNOT_TRUNCATE = ("The trajectory is too long so your prompt exceeded the context window, but the trajectory "
                   "cannot be truncated because it only has one tool call.")
STILL_TOO_LONG = "The context window was exceeded even after 3 attempts to truncate the trajectory."


def format_error_for_lm(error: BaseException, *, traceback_frames: int = 0) -> str:
    """DSPy's ``format_error_for_lm``: ``str(error)``, or a newline and a traceback of at most
    ``traceback_frames`` frames."""
    if traceback_frames <= 0:
        return str(error)
    import traceback

    return "\n" + "".join(
        traceback.format_exception(type(error), error, error.__traceback__, limit=traceback_frames)).strip()


def execution_error(tool_name: str, error: BaseException) -> str:
    """The observation of a tool call that raised ``error``."""
    return f"Execution error in {tool_name}: {format_error_for_lm(error, traceback_frames=5)}"


def context_window_error(message: str, cause: BaseException | None = None) -> ContextWindowExceededError:
    """A :class:`ContextWindowExceededError` of the agent's own (after truncation failed)."""
    model = getattr(cause, "model", "") or ""
    return ContextWindowExceededError(message, model=model, status=getattr(cause, "status", None),
                                      attempts=getattr(cause, "attempts", 0) or 0)


def warn(message: str, error: BaseException | None = None) -> None:
    """Log a warning as DSPy's ReAct does (``dspex_native.react``), formatting only when it shows."""
    import logging

    logger = logging.getLogger("dspex_native.react")
    if logger.isEnabledFor(logging.WARNING):
        if error is not None:
            message = message + format_error_for_lm(error, traceback_frames=5)
        logger.warning(message)
