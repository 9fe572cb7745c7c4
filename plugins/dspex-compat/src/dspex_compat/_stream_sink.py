"""Where a streamed program's predictors send their chunks (``dspy.streamify``).

``streamify`` sets a :class:`StreamSink` in a context variable for the program's run; a ``Predict``
with a listener in it streams its dspex reference (``ref.stream``/``astream``) instead of calling
it, and sends each listened field's text as DSPy's ``StreamResponse``. The last piece of a field
goes out with ``is_last_chunk=True`` when the next field starts or the predictor's stream ends.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["StreamResponse", "StatusMessage", "StreamSink", "stream_sink"]


@dataclass
class StreamResponse:
    predict_name: str
    signature_field_name: str
    chunk: str
    is_last_chunk: bool


@dataclass
class StatusMessage:
    """Dataclass that wraps a status message for status streaming."""

    message: str


class StreamSink:
    """A stream's destination: ``send`` is safe from any thread (the program runs on a worker)."""

    def __init__(self, send: Callable[[Any], None], listeners: dict[int, list[Any]]):
        self.send = send
        self.listeners = listeners
        self.started = False

    def _names(self, predict: Any) -> dict[str, str]:
        """The listened fields of one predictor, each with the predictor's name in the program."""
        return {listener.signature_field_name: listener.predict_name or "self"
                for listener in self.listeners.get(id(predict), ())}

    def run(self, predict: Any, ref: Any, inputs: dict[str, Any]) -> Any:
        fields = self._names(predict)
        held: list[Any] = []
        final = None
        for item in ref.stream(**inputs):
            final = self._take(item, fields, held)
        self._flush(held)
        return final

    async def arun(self, predict: Any, ref: Any, inputs: dict[str, Any]) -> Any:
        fields = self._names(predict)
        held: list[Any] = []
        final = None
        async for item in ref.astream(**inputs):
            final = self._take(item, fields, held)
        self._flush(held)
        return final

    def _take(self, item: Any, fields: dict[str, str], held: list[Any]) -> Any:
        field = getattr(item, "field", None)
        if field is None or not hasattr(item, "text"):
            return item  # the final Prediction
        if field not in fields:
            return None
        if held and held[0].signature_field_name != field:
            self._flush(held)
        if held:
            self._emit(held.pop())
        held.append(StreamResponse(fields[field], field, item.text, False))
        return None

    def _flush(self, held: list[Any]) -> None:
        if held:
            last = held.pop()
            last.is_last_chunk = True
            self._emit(last)

    def _emit(self, response: StreamResponse) -> None:
        self.started = True
        self.send(response)


#: the sink of the stream a program runs in (None: not streamed)
stream_sink: contextvars.ContextVar[StreamSink | None] = contextvars.ContextVar("dspy_stream_sink", default=None)
