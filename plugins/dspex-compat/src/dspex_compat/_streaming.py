"""DSPy's ``streamify``: run a program and yield its predictors' output text as it arrives.

Each ``StreamListener`` names an output field (and, when the field is not unique, the predictor);
the listened predictors stream their dspex references, so native reads the LM's server-sent events
and cuts the fields as they arrive (docs/streaming.md). The program runs on a worker thread (or as
a task, ``is_async_program=True``); items arrive in order: ``StreamResponse`` chunks, status
messages, then the final ``Prediction``. A predictor served without streaming (a custom LM object,
a cache hit) yields no chunk, only the final Prediction, as dspy does when nothing streams.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue as queue_module
import threading
from collections import defaultdict
from typing import Any, AsyncGenerator, Callable, Generator

from dspex_compat._settings import settings
from dspex_compat._status_messages import StatusMessageProvider, StatusStreamingCallback
from dspex_compat._stream_sink import StreamSink, stream_sink

__all__ = ["StreamListener", "streamify", "apply_sync_streaming", "find_predictor_for_stream_listeners"]


class StreamListener:
    """Listens to one output field of one predictor (found by the field's name when not given)."""

    def __init__(self, signature_field_name: str, predict: Any = None, predict_name: str | None = None,
                 allow_reuse: bool = False):
        self.signature_field_name = signature_field_name
        self.predict = predict
        self.predict_name = predict_name
        self.allow_reuse = allow_reuse


def find_predictor_for_stream_listeners(program: Any, stream_listeners: list[StreamListener]) -> dict[int, list]:
    """Each listener's predictor (by id): the one whose signature has the field, which must be unique."""
    by_field: dict[str, Any] = {l.signature_field_name: None for l in stream_listeners if not l.predict}  # noqa: E741
    for name, predictor in program.named_predictors():
        for field_name in predictor.signature.output_fields:
            if field_name not in by_field:
                continue
            if by_field[field_name] is not None:
                raise ValueError(
                    f"Signature field {field_name} is not unique in the program, cannot automatically determine which "
                    "predictor to use for streaming. Please specify the predictor to listen to.")
            by_field[field_name] = (name, predictor)
    found: dict[int, list[StreamListener]] = defaultdict(list)
    for listener in stream_listeners:
        if listener.predict:
            if listener.predict_name is None:
                listener.predict_name = next((n for n, p in program.named_predictors() if p is listener.predict),
                                             None)
            found[id(listener.predict)].append(listener)
            continue
        if by_field.get(listener.signature_field_name) is None:
            raise ValueError(
                f"Signature field {listener.signature_field_name} is not a field of any predictor in the program, "
                "cannot automatically determine which predictor to use for streaming. Please verify your field name "
                "or specify the predictor to listen to.")
        listener.predict_name, listener.predict = by_field[listener.signature_field_name]
        found[id(listener.predict)].append(listener)
    return found


def streamify(program: Any, status_message_provider: StatusMessageProvider | None = None,
              stream_listeners: list[StreamListener] | None = None,
              include_final_prediction_in_output_stream: bool = True, is_async_program: bool = False,
              async_streaming: bool = True) -> Callable[..., Any]:
    """A function running ``program`` that returns an async generator of the stream's items (a
    generator with ``async_streaming=False``)."""
    stream_listeners = stream_listeners or []
    listeners = find_predictor_for_stream_listeners(program, stream_listeners) if stream_listeners else {}
    status = StatusStreamingCallback(status_message_provider)

    async def async_streamer(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
        loop = asyncio.get_running_loop()
        items: asyncio.Queue = asyncio.Queue()
        sink = StreamSink(lambda item: loop.call_soon_threadsafe(items.put_nowait, ("item", item)), listeners)
        callbacks = list(settings.callbacks or [])
        if not any(isinstance(c, StatusStreamingCallback) for c in callbacks):
            callbacks.append(status)

        async def run() -> None:
            token = stream_sink.set(sink)
            try:
                with settings.context(send_stream=sink, callbacks=callbacks, stream_listeners=stream_listeners):
                    if is_async_program:
                        prediction = await program.acall(*args, **kwargs)
                    else:
                        prediction = await asyncio.to_thread(program, *args, **kwargs)
                items.put_nowait(("done", prediction))
            except BaseException as exc:  # noqa: BLE001 - re-raised where the stream is read
                items.put_nowait(("error", exc))
            finally:
                stream_sink.reset(token)

        task = asyncio.ensure_future(run())
        try:
            while True:
                kind, value = await items.get()
                if kind == "item":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    if include_final_prediction_in_output_stream or not stream_listeners or not sink.started:
                        yield value
                    return
        finally:
            if not task.done():
                task.cancel()

    if async_streaming:
        return async_streamer

    def sync_streamer(*args: Any, **kwargs: Any) -> Generator[Any, None, None]:
        return apply_sync_streaming(async_streamer(*args, **kwargs))

    return sync_streamer


def apply_sync_streaming(async_generator: AsyncGenerator) -> Generator[Any, None, None]:
    """Iterate an async stream from synchronous code (its event loop runs on a worker thread)."""
    items: queue_module.Queue = queue_module.Queue()
    stop, failed = object(), object()
    context = contextvars.copy_context()

    def producer() -> None:
        async def runner() -> None:
            try:
                async for item in async_generator:
                    items.put(item)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
                items.put((failed, exc))
            finally:
                items.put(stop)

        context.run(asyncio.run, runner())

    threading.Thread(target=producer, daemon=True).start()
    while True:
        item = items.get()
        if item is stop:
            break
        if isinstance(item, tuple) and len(item) == 2 and item[0] is failed:
            raise item[1]
        yield item
