"""The client of a custom LM object: the same surface as the HTTP client, around the object.

Native modules call every LM through a client (``dspex_native.lm.get_client``), so a custom
LM (any object called as ``lm(messages, **settings)``) gets what ``dspex.LM`` gets: its calls
are counted in ``client.usage`` (as calls: a custom LM reports no tokens), its replies are
checked, and ``acall`` works whether or not the object has one.

A custom LM's replies are never cached here: the object decides itself what to remember (as
under DSPy, whose wrapper of such an object caches nothing either).

This module is on every native call's path and is imported with ``dspex_native.lm``, so it
imports nothing heavy (asyncio only when an object without ``acall`` is awaited).
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import record_history
from dspex_core.errors import LMError
from dspex_core.usage import check_budget

from dspex_native.lm.usage import UsageTracker


class CustomLMClient:
    """Calls a custom LM object as it is: ``client(messages, **settings) -> list`` of its
    completions, and ``await client.acall(...)`` (the object's ``acall``, else a worker thread)."""

    __slots__ = ("lm", "model", "usage", "_acall")

    def __init__(self, lm: Any):
        self.lm = lm
        self.model = getattr(lm, "model", type(lm).__name__)
        self.usage = UsageTracker()
        self._acall = getattr(lm, "acall", None)

    def __call__(self, messages: list[dict[str, Any]], **settings: Any) -> list[Any]:
        check_budget()  # its calls report no tokens, but a dspex.track_usage() budget spent elsewhere stops them too
        reply = self.lm(messages, **settings)
        self.usage.add_call()
        if type(reply) is not list or not reply:
            reply = self._completions(reply)
        record_history(messages, reply, model=self.model, settings=settings)  # for dspex.inspect_history
        return reply

    async def acall(self, messages: list[dict[str, Any]], **settings: Any) -> list[Any]:
        check_budget()
        if self._acall is not None:
            reply = await self._acall(messages, **settings)
        else:
            import asyncio

            reply = await asyncio.to_thread(self.lm, messages, **settings)
        self.usage.add_call()
        reply = self._completions(reply)
        record_history(messages, reply, model=self.model, settings=settings)
        return reply

    def render(self, messages: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
        """What a call would pass the object (``ref.render``): the messages and settings as they are
        (an LM copied with default settings, :class:`~dspex_native.lm.defaults.LMWithDefaults`,
        adds its defaults as its calls do)."""
        own = getattr(type(self.lm), "_dspex_render", None)
        if own is not None:
            return own(self.lm, messages, **settings)
        from dspex_core.backend import rendered

        return rendered(messages, settings, getattr(self.lm, "model", None))

    def _completions(self, reply: Any) -> list[Any]:
        """The reply as a list of completions: one string is one completion; an empty list is one
        empty completion (as DSPy reads a server's empty ``choices``: the predictor then fails to
        parse it, as on the dspy backend); anything but a string or a list is the LM's mistake,
        reported with what it returned."""
        if isinstance(reply, list):
            return reply if reply else [""]
        if isinstance(reply, str):
            return [reply]
        try:
            text = repr(reply)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
            text = f"<{type(reply).__name__} object>"
        raise LMError(f"the custom LM {self.model!r} returned a {type(reply).__name__}, not a str or a list of "
                      f"completions: {text}", model=str(self.model), attempts=1)

    def __repr__(self) -> str:
        return f"CustomLMClient({self.lm!r})"
