"""Log records of the LM libraries, redacted before any handler sees them.

httpx logs every request's URL at INFO (with ``user:password@`` as written), LiteLLM logs the
request as a curl command (headers included) and the provider's error body at DEBUG, dspy logs
the failures it swallows during ``Evaluate`` and the optimizers. None of that text passes
through a dspex error, so it is redacted where records are made: from the first
``dspex.LM`` on, :func:`install` wraps logging's record factory, and every record of the
loggers in :data:`LOGGERS` (and their children) has its message, traceback and stack passed
through :func:`dspex_core._redact.redact` before any handler, propagation or ``caplog`` sees it.

Why the record factory rather than a ``logging.Filter`` on each logger: a logger's filters
apply only to records logged on that very logger, not to those of its children
(``httpcore.http11``, ``dspy.evaluate.evaluate``) that propagate through it, and libraries
create child loggers when they import their modules, which may be long after the first LM. A
record that holds no secret is left exactly as it was (message, ``args``, ``exc_info``).
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

from dspex_core._redact import redact

#: The loggers (and their children) whose records are redacted: the HTTP stacks and LM clients
#: that see requests and provider errors, DSPy, and dspex itself. ``asyncio`` logs exceptions
#: of tasks nobody awaited, which may be those of an LM client.
LOGGERS = ("httpx", "httpcore", "LiteLLM", "litellm", "openai", "anthropic", "urllib3", "requests", "aiohttp",
           "dspy", "dspex", "asyncio")

_lock = threading.Lock()


def install() -> None:
    """Redact the records of :data:`LOGGERS` from now on (idempotent; cheap once installed).

    If something later replaces the record factory without calling the one it replaced, the
    next ``dspex.LM`` installs redaction again on top of it."""
    if getattr(logging.getLogRecordFactory(), "_dspex_redacts", False):
        return
    with _lock:
        previous = logging.getLogRecordFactory()
        if getattr(previous, "_dspex_redacts", False):
            return

        def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if record.name.startswith(LOGGERS):
                scrub(record)
            return record

        make_record._dspex_redacts = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(make_record)


def scrub(record: logging.LogRecord) -> None:
    """Redact ``record`` in place; a record that holds no secret is left untouched."""
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not fit its format: logging reports it itself
        return
    cleaned = redact(message, limit=None)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        cleaned = redact(text, limit=None)
        if cleaned != text:
            # handlers format ``exc_text`` when it is set; the exception object itself, whose
            # text holds the secret, is not kept on the record
            record.exc_text, record.exc_info = cleaned, None
    if record.stack_info:
        record.stack_info = redact(record.stack_info, limit=None)
