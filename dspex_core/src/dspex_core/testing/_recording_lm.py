"""A scriptable, recording language model for tests and parity checks.

Both the backend under test and the reference call the *same* :class:`RecordingLM`, so
their requests can be compared byte for byte and their replies are identical by
construction. It implements the core's custom-LM protocol (sync ``__call__`` and async
``acall``) and needs no network.

``replies`` may be:

* a list of strings, consumed in order (one per completion; ``n > 1`` takes ``n`` at once);
* a callable ``(messages, settings) -> str | list[str]``, for replies that depend on the
  prompt (for example the offline demo model);
* a single string, returned for every call.

Running out of scripted replies raises :class:`ScriptExhausted`, so a backend that calls the
LM more often than the reference is caught rather than silently served.
"""

from __future__ import annotations

import copy
import threading
from typing import Any, Callable, Sequence

Reply = str | list[str]


class ScriptExhausted(AssertionError):
    """The LM was called more times than the script has replies for."""


class LMCall:
    """One recorded request: the messages and settings exactly as received."""

    __slots__ = ("messages", "settings")

    def __init__(self, messages: list[dict[str, Any]], settings: dict[str, Any]):
        self.messages = messages
        self.settings = settings

    def __repr__(self) -> str:
        return f"LMCall(messages={self.messages!r}, settings={self.settings!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LMCall) and (self.messages, self.settings) == (other.messages, other.settings)


class RecordingLM:
    """Records every call and answers from a script."""

    def __init__(self, replies: Sequence[str] | Callable[[list[dict[str, Any]], dict[str, Any]], Reply] | str = "",
                 *, model: str = "recording-lm"):
        self.model = model
        self._lock = threading.Lock()
        self._script: Any = replies if callable(replies) or isinstance(replies, str) else list(replies)
        self._position = 0
        self.calls: list[LMCall] = []

    # -- the custom-LM protocol -------------------------------------------------------------
    def __call__(self, messages: list[dict[str, Any]], **settings: Any) -> list[str]:
        n = int(settings.get("n") or 1)
        with self._lock:
            self.calls.append(LMCall(copy.deepcopy(list(messages)), dict(settings)))
            return self._next(messages, settings, n)

    async def acall(self, messages: list[dict[str, Any]], **settings: Any) -> list[str]:
        return self(messages, **settings)

    # -- scripting -----------------------------------------------------------------------
    def _next(self, messages: list[dict[str, Any]], settings: dict[str, Any], n: int) -> list[str]:
        script = self._script
        if isinstance(script, str):
            return [script] * n
        if callable(script):
            reply = script(messages, settings)
            replies = [reply] if isinstance(reply, str) else list(reply)
            return (replies * n)[:n] if len(replies) < n else replies[:n]
        if self._position + n > len(script):
            raise ScriptExhausted(
                f"the LM was called {len(self.calls)} times; the script has {len(script)} replies "
                f"and {len(script) - self._position} left, {n} needed"
            )
        out = script[self._position:self._position + n]
        self._position += n
        return out

    def reset(self, replies: Any = None) -> None:
        """Forget the recorded calls (and load a new script when given)."""
        with self._lock:
            self.calls = []
            self._position = 0
            if replies is not None:
                self._script = replies if callable(replies) or isinstance(replies, str) else list(replies)

    @property
    def call_count(self) -> int:
        return len(self.calls)

    def __repr__(self) -> str:
        return f"RecordingLM(model={self.model!r}, calls={len(self.calls)})"
