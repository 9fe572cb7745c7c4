"""Rendering a dspy module's next request without calling its LM (``ref.render`` on the dspy backend).

dspy has no "format only" entry point that covers everything its ``Predict`` does before a call
(the module's config and the call's, the n/temperature rule, predicted outputs moved into the
request, the adapter's own settings such as JSONAdapter's ``response_format``, tool settings
dropped). So the module runs as usual with its LM swapped for a stand-in of the same class and
settings: dspy's own code formats the messages with the adapter's ``format`` and merges the
settings as it would for the real call, and at the LM boundary the stand-in keeps the request
and stops the run (:class:`Rendered`) instead of sending it. The real LM is never called, and
nothing is recorded in dspy's or dspex's history.

What the request carries is then read as a provider would get it: a custom LM object
(:class:`~dspex_dspy.lm.CustomLM`) would be called with ``{**lm.kwargs, **call kwargs}``; a
``dspy.LM`` sends those settings minus client settings (``dspex_core.backend.CLIENT_SETTINGS``:
where to send, credentials, retries, caching) and unset values.
"""

from __future__ import annotations

import threading
from typing import Any

import dspy
from dspex_core.backend import CLIENT_SETTINGS, LRUCache, rendered

from dspex_dspy.lm import CustomLM


class Rendered(BaseException):
    """Raised by the stand-in LM at the moment dspy would send a request; carries it. A
    ``BaseException``, so that the modules that catch ``Exception`` from their steps (dspy's
    ``BestOfN`` and ``Refine`` from each attempt) let it through."""

    def __init__(self, messages: Any, settings: dict[str, Any]):
        super().__init__("rendered")
        self.messages = messages
        self.settings = settings


def _capture(self: Any, prompt: Any = None, *, messages: Any = None, **kwargs: Any) -> Any:
    if messages is None:
        messages = [{"role": "user", "content": prompt}]
    raise Rendered(messages, {**(self.kwargs or {}), **kwargs})


async def _acapture(self: Any, prompt: Any = None, *, messages: Any = None, **kwargs: Any) -> Any:
    _capture(self, prompt, messages=messages, **kwargs)


_lock = threading.Lock()
#: LM class -> its stand-in class (a subclass, so every property dspy's adapters read is the LM's own)
_stand_in_classes: LRUCache[type, type] = LRUCache(64)


def stand_in(lm: Any) -> Any:
    """An object of a subclass of ``type(lm)`` with ``lm``'s attributes whose calls raise :class:`Rendered`."""
    cls = type(lm)
    with _lock:
        sub = _stand_in_classes.get(cls)
        if sub is None:
            sub = _stand_in_classes.put(cls, type(f"Rendering{cls.__name__}", (cls,),
                                                   {"__call__": _capture, "acall": _acapture, "forward": None,
                                                    "aforward": None}))
    copy = object.__new__(sub)
    copy.__dict__.update(lm.__dict__)
    copy.kwargs = dict(getattr(lm, "kwargs", None) or {})
    copy.history = []
    return copy


def _sendable(settings: dict[str, Any]) -> dict[str, Any]:
    """A JSONAdapter's ``response_format`` (a pydantic model class in dspy's settings) as dspy sends
    it: the strict JSON schema its LM builds from the class; other settings as they are."""
    import pydantic

    found = settings.get("response_format")
    if isinstance(found, type) and issubclass(found, pydantic.BaseModel):
        from dspy.clients.legacy_requests import _strict_json_schema

        settings = {**settings, "response_format": {"type": "json_schema", "json_schema": {
            "name": found.__name__, "schema": _strict_json_schema(found.model_json_schema()), "strict": True}}}
    return settings


def request_of(lm: Any, captured: Rendered) -> dict[str, Any]:
    """The render result of a request captured for ``lm`` (the dspy LM the call would have used)."""
    if isinstance(lm, CustomLM):
        return rendered(captured.messages, _sendable(captured.settings), getattr(lm.obj, "model", None))
    sent = {k: v for k, v in captured.settings.items() if k not in CLIENT_SETTINGS and v is not None}
    return rendered(captured.messages, _sendable(sent), getattr(lm, "model", None))


def render_call(run: Any, lm: Any, adapter: Any) -> dict[str, Any]:
    """Run ``run()`` (the module's call) under ``dspy.context`` with ``lm`` replaced by its stand-in
    and return the first request it would send; ``None`` when it sends none."""
    with dspy.context(lm=stand_in(lm), adapter=adapter):
        try:
            run()
        except Rendered as captured:
            return request_of(lm, captured)
    return None
