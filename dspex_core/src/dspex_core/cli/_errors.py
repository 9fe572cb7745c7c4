"""The one error path of every ``dspex`` command: one line on stderr, an exit code by error class.

Every sub-command runs through :func:`run_command`, which first reads the configuration
(``DSPEX_*`` variables and ``[tool.dspex]``), so that a mistake there is reported the same way
by every command, even one that would not have looked at it. An exception that leaves the
command becomes one line, ``dspex COMMAND: error: Type: message`` (whitespace folded, known
secrets and key-shaped strings masked), and an exit code:

=====  ==================================================================================
code   when
=====  ==================================================================================
0      success
1      a dspex error that is not the user's input (an LM that failed, a backend that
       cannot, a broken plugin), an operating-system error, or an internal bug
2      the user's mistake: :class:`~dspex_core.errors.InputError` and its subclasses
       (``ConfigError`` for the configuration, ``SignatureError``, an unknown backend or
       module type), as for argparse's usage errors
130    interrupted (Ctrl-C)
=====  ==================================================================================

A dspex error or a configuration mistake never shows a traceback. Any other exception is a
bug in dspex or in a plugin: its line ends with a hint, and with ``DSPEX_DEBUG=1`` in the
environment the traceback (masked the same way) is printed above the line, for every error.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterable

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130

#: ``DSPEX_DEBUG=1`` (or true/yes/on) prints the traceback of an error above its line.
DEBUG_ENV = "DSPEX_DEBUG"
INTERNAL_HINT = f"(an internal error, not a mistake of yours; set {DEBUG_ENV}=1 to see the traceback)"


def exit_code(exc: BaseException) -> int:
    """The exit code for an exception that ended a command (see the table above)."""
    from dspex_core.errors import InputError

    return EXIT_INPUT if isinstance(exc, InputError) else EXIT_FAILED


def is_internal(exc: BaseException) -> bool:
    """Whether ``exc`` is a bug (not a dspex error and not the operating system's)."""
    from dspex_core.errors import DspexError

    return not isinstance(exc, (DspexError, OSError))


def error_line(command: str, exc: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """``dspex COMMAND: error: Type: message`` on one line, without secrets, and without characters
    that could rewrite the terminal (an LM's or a server's text in the message: docs/errors.md)."""
    from dspex_core._escape import escape_controls
    from dspex_core._redact import redact

    text = redact(f"{type(exc).__name__}: {exc}", *secrets, limit=None)
    line = f"dspex {command}: error: {escape_controls(' '.join(text.split()))}"
    return f"{line} {INTERNAL_HINT}" if is_internal(exc) else line


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def report(command: str, exc: BaseException, secrets: Iterable[str | None] = ()) -> int:
    """Print ``exc`` as the command's error (its traceback first with ``DSPEX_DEBUG=1``) and
    return the exit code."""
    secrets = tuple(secrets)
    if debug_enabled():
        import traceback

        from dspex_core._escape import escape_controls
        from dspex_core._redact import redact

        trace = "".join(traceback.format_exception(exc))
        print(escape_controls(redact(trace, *secrets, limit=None)), end="", file=sys.stderr)
    print(error_line(command, exc, secrets), file=sys.stderr)
    return exit_code(exc)


def run_command(command: str, body: Callable[[], Any], secrets: Iterable[str | None] = ()) -> int:
    """Check the configuration, run ``body`` and turn what it raises into one line and an exit code."""
    try:
        from dspex_core.config import settings

        settings()  # a bad DSPEX_* value or [tool.dspex] entry: reported here, by every command alike
        return int(body() or EXIT_OK)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (``dspex backends | head``)
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - every error ends the same way
        return report(command, exc, secrets)
