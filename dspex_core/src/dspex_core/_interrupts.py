"""Telling a Ctrl-C the user pressed from a ``KeyboardInterrupt`` that code raised.

Building the registry runs third-party code: each plugin's import and its hooks. A plugin whose
code raises ``KeyboardInterrupt`` (or calls ``sys.exit()``) is a broken plugin and is reported
like any other, but a Ctrl-C the user presses while the plugins load must stop the program, as
it always does. The two look alike once raised, so :class:`InterruptWatch` looks at where the
exception came from: Python turns SIGINT into ``KeyboardInterrupt`` in a signal handler that
runs in the main thread, so while the watch is open it puts a handler in front of the current
one that notes the signal and then calls that handler unchanged (the interrupt still happens at
once, exactly as before). A ``KeyboardInterrupt`` with no signal noted was raised by code.

When the watch cannot know (the SIGINT handler is not a Python function, or something replaced
the watch's handler meanwhile), :meth:`InterruptWatch.pressed` answers yes: a real interrupt is
never swallowed. In a thread other than the main one no signal can raise, so a
``KeyboardInterrupt`` there was raised by code.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any


class InterruptWatch:
    """``with InterruptWatch() as watch:`` around plugin code; then ``watch.pressed(exc)``."""

    def __init__(self) -> None:
        self.signalled = False
        self._previous: Any = None
        self._installed = False
        self._main = False

    def __enter__(self) -> "InterruptWatch":
        self._main = threading.current_thread() is threading.main_thread()
        if not self._main:
            return self  # signals are only ever handled in the main thread
        self._previous = signal.getsignal(signal.SIGINT)
        if callable(self._previous):
            try:
                signal.signal(signal.SIGINT, self._note)
            except ValueError:  # not the main interpreter: leave the handler alone
                return self
            self._installed = True
        return self

    def _note(self, signum: int, frame: FrameType | None) -> Any:
        self.signalled = True
        return self._previous(signum, frame)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._installed and signal.getsignal(signal.SIGINT) == self._note:
            signal.signal(signal.SIGINT, self._previous)
        self._installed = False

    def pressed(self, exc: BaseException) -> bool:
        """Whether ``exc`` (a ``KeyboardInterrupt``) may come from the user; ``False`` only when it
        certainly came from code."""
        if self.signalled:
            return True
        if not self._main or threading.current_thread() is not threading.main_thread():
            return False
        if self._installed:
            # our handler saw no signal; if someone replaced it, a press may have gone elsewhere
            return signal.getsignal(signal.SIGINT) != self._note
        # not installed: with SIGINT ignored or left to the OS, a press raises nothing in Python
        return self._previous not in (signal.SIG_IGN, signal.SIG_DFL)
