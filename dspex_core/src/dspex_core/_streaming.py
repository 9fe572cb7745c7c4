"""Streaming a created module: ``ref.stream(**inputs)`` and ``ref.astream(**inputs)``.

A streamed call yields :class:`~dspex_core.StreamChunk` items as each output field's text arrives,
then the final :class:`~dspex_core.Prediction` (always the last item), as ``dspy.streamify`` with a
``StreamListener`` per output field does. The backend does the streaming (the contract's optional
``stream``/``astream``, :mod:`dspex_core._implementation`); the core does for a stream what it does
for a call (:mod:`dspex_core._module_ref`):

* the call's deadline: ``timeout=`` (seconds or a profile's name), else the ``streaming`` timeout
  profile, bounds every LM call the stream makes (:func:`dspex_core._lm_deadline.call_deadline`);
* usage: the final Prediction carries the usage of the stream's LM calls (``get_lm_usage()``), and
  open ``dspex.track_usage()`` trackers count them; callbacks fire the module events around the
  whole stream (the end event gets the final Prediction);
* a module whose implementation cannot stream (no ``stream`` method) yields only its final
  Prediction, as ``dspy.streamify`` does when no listener matches;
* fallback: a backend failing before it yielded anything is replaced by the next candidate, as for
  ``execute`` (that backend's call is not streamed: it yields its final Prediction); once chunks were
  yielded, the error goes to the caller.

The reference's module passes in how it runs a call (``running``: its ``execute``, ``aexecute``,
fallback, usage and callback helpers), so that this module needs nothing of it and no import
cycle arises.

The sync stream runs in a context of its own (a copy of the caller's, made when iteration starts),
so the deadline and usage record it sets stay its own while the caller's code runs between items.
"""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Any, AsyncIterator, Iterator, Mapping

from dspex_core import _lm_deadline, _router, _usage_journal, callbacks as _callbacks
from dspex_core._example import Prediction
from dspex_core._stream_chunk import StreamChunk
from dspex_core.config import settings
from dspex_core.errors import PluginError, allows_fallback

_END = object()


def _checked(ref: Any, item: Any, final_seen: bool, method: str) -> Any:
    """``item`` if a backend's stream may yield it here, else the :class:`PluginError` to raise."""
    if final_seen:
        raise PluginError(f"backend {ref.backend!r} yielded {type(item).__name__} from {method}() of "
                          f"{ref.module_type!r} after the final Prediction (a bug in the backend's plugin)")
    if isinstance(item, (StreamChunk, Prediction)):
        return item
    raise PluginError(f"backend {ref.backend!r} yielded {type(item).__module__}.{type(item).__qualname__} from "
                      f"{method}() of {ref.module_type!r}; a stream yields dspex.StreamChunk items, then the "
                      f"final dspex.Prediction (a bug in the backend's plugin)")


def _no_final(ref: Any, method: str) -> PluginError:
    return PluginError(f"backend {ref.backend!r} ended {method}() of {ref.module_type!r} without the final "
                       f"Prediction (a bug in the backend's plugin)")


def _routed(ref: Any, inputs: Mapping[str, Any], options: dict[str, Any], running: Any) -> Iterator[Any]:
    """The backend's stream with the checks, telemetry and fallback of a call."""
    if not ref.has("stream"):
        yield running.execute(ref, inputs, options)  # cannot stream: the final Prediction alone
        return
    impl = ref._impl or ref.implementation
    _router.emit_route("stream", ref.module_type, ref.backend)
    start = time.perf_counter()
    yielded = final = False
    try:
        for item in impl.stream(ref.state, inputs, **options):
            item = _checked(ref, item, final, "stream")
            final = isinstance(item, Prediction)
            yielded = True
            yield item
        if not final:
            raise _no_final(ref, "stream")
    except Exception as exc:
        _router.emit_execute(ref.module_type, ref.backend, time.perf_counter() - start, type(exc).__name__)
        if not yielded and ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
            yield running.execute_fallback(ref, inputs, options, exc)
            return
        raise
    _router.emit_execute(ref.module_type, ref.backend, time.perf_counter() - start, "ok")


def _steps(ref: Any, inputs: Mapping[str, Any], options: dict[str, Any], timeout: Any,
           running: Any) -> Iterator[Any]:
    """The stream, run inside its own context (see :func:`stream`)."""
    journal = _usage_journal.Journal(_usage_journal.current.get(), threading.get_ident())
    _usage_journal.current.set(journal)
    with _lm_deadline.call_deadline(timeout):
        found = _callbacks.active()
        if not found or running.fires_own(ref):
            for item in _routed(ref, inputs, options, running):
                yield running.with_usage(item, 0, journal) if isinstance(item, Prediction) else item
            return
        with _callbacks.for_call(found, ref, ref.module_type, inputs, options) as events:
            for item in _routed(ref, inputs, options, running):
                if isinstance(item, Prediction):
                    item = events.outputs = running.with_usage(item, 0, journal)
                yield item


def stream(ref: Any, inputs: Mapping[str, Any], options: dict[str, Any], timeout: Any,
           running: Any) -> Iterator[Any]:
    """``ref.stream``: the module's :class:`StreamChunk` items, then its final Prediction."""
    context = contextvars.copy_context()
    steps = context.run(_steps, ref, inputs, options, timeout, running)
    try:
        while True:
            item = context.run(next, steps, _END)
            if item is _END:
                return
            yield item
    finally:
        context.run(steps.close)


async def astream(ref: Any, inputs: Mapping[str, Any], options: dict[str, Any], timeout: Any,
                  running: Any) -> AsyncIterator[Any]:
    """``ref.astream``: the backend's ``astream``; else its ``stream`` advanced in worker threads
    (the event loop is never blocked); else its ``aexecute``'s Prediction alone."""
    if ref.has("astream"):
        async for item in _astream_own(ref, inputs, options, timeout, running):
            yield item
        return
    import asyncio

    if ref.has("stream"):
        steps = stream(ref, inputs, options, timeout, running)
        try:
            while True:
                item = await asyncio.to_thread(next, steps, _END)
                if item is _END:
                    return
                yield item
        finally:
            await asyncio.to_thread(steps.close)
    else:
        with _lm_deadline.call_deadline(timeout):
            result = await running.aexecute(ref, inputs, **options)
        yield result


async def _astream_own(ref: Any, inputs: Mapping[str, Any], options: dict[str, Any], timeout: Any,
                       running: Any) -> AsyncIterator[Any]:
    """The backend's ``astream``, with what :func:`_steps` adds to a sync stream."""
    import asyncio

    journal = _usage_journal.Journal(_usage_journal.current.get(), threading.get_ident())
    token = _usage_journal.current.set(journal)
    impl = ref._impl or ref.implementation
    found = _callbacks.active()
    events = _callbacks.for_call(found, ref, ref.module_type, inputs, options) if found and not running.fires_own(ref) \
        else None
    _router.emit_route("stream", ref.module_type, ref.backend)
    start = time.perf_counter()
    yielded = final = False
    try:
        with _lm_deadline.call_deadline(timeout):
            if events is not None:
                events.__enter__()
            try:
                async for item in impl.astream(ref.state, inputs, **options):
                    item = _checked(ref, item, final, "astream")
                    if isinstance(item, Prediction):
                        final = True
                        item = running.with_usage(item, 0, journal)
                        if events is not None:
                            events.outputs = item
                    yielded = True
                    yield item
                if not final:
                    raise _no_final(ref, "astream")
            except BaseException as exc:
                if events is not None:
                    events.__exit__(type(exc), exc, exc.__traceback__)
                    events = None
                if isinstance(exc, Exception):
                    _router.emit_execute(ref.module_type, ref.backend, time.perf_counter() - start, type(exc).__name__)
                    if not yielded and ref._fallbacks and allows_fallback(exc) and settings().allow_fallback:
                        result = await asyncio.to_thread(running.execute_fallback, ref, inputs, options, exc)
                        yield running.with_usage(result, 0, journal) if isinstance(result, Prediction) else result
                        return
                raise
            if events is not None:
                events.__exit__(None, None, None)
        _router.emit_execute(ref.module_type, ref.backend, time.perf_counter() - start, "ok")
    finally:
        try:
            _usage_journal.current.reset(token)
        except ValueError:  # finalised in another context (an abandoned async generator)
            pass

