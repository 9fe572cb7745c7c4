"""A predictor call streamed: its output fields' text as the LM's reply arrives, then the Prediction.

``predict`` and ``chain_of_thought`` (``reasoning`` first, as the reply writes it) stream through
here: the request is the call's (:func:`.request.prepare`), sent as dspy sends a streamed one
(:class:`dspex_native.lm.streaming.LMStream`); each piece of the reply goes to the field reader of
the call's adapter (ChatAdapter markers: :mod:`dspex_native.adapters._chat_stream`; JSON:
:mod:`dspex_native.adapters._json_stream`; XML elements: :mod:`dspex_native.adapters._xml_stream`),
which hands out :class:`~dspex_core.StreamChunk` items; the last item is the Prediction :func:`.call.execute` would return for the same reply (the same
parse). A streamed chat (or XML) reply that cannot be parsed fails the call, as in dspy 3.4, which
does not ask again in JSON once its stream gave anything out; a reply from the cache (which comes
whole, nothing streamed) is asked again in JSON as without streaming, and that reply streams.

Callbacks fire as for a call (:mod:`.callbacks`), the ``lm`` end event once the reply is complete.
A custom LM object has no streaming protocol: its call yields the final Prediction alone (as
``dspy.streamify`` gives only the Prediction when nothing streamed). A request the LM client
cannot write (:mod:`dspex_native.lm.streaming`) is a :class:`~dspex_core.errors.CapabilityError`
before anything is sent, as without streaming, so the router may fall back.
"""

from __future__ import annotations

from typing import Any, Generator, Iterator, Mapping

from dspex_core import callbacks
from dspex_core.backend import Prediction, module_type as table_row
from dspex_core.callbacks import Events, lm_inputs
from dspex_core.errors import AdapterParseError, CapabilityError

from dspex_native.adapters._chat_stream import ChatFieldStream
from dspex_native.adapters._json_stream import JSONFieldStream
from dspex_native.adapters._xml_stream import XMLFieldStream
from dspex_native.predictor import call
from dspex_native.predictor.callbacks import _format_inputs, _json_formatting, _OwnEvents, _parsed
from dspex_native.predictor.request import fallback_request, prepare
from dspex_native.predictor.state import PredictState

_READERS = {"ChatAdapter": ChatFieldStream, "JSONAdapter": JSONFieldStream, "XMLAdapter": XMLFieldStream}


def predict_name(state: PredictState) -> str:
    """The name DSPy's ``named_predictors()`` gives the predictor (``StreamResponse.predict_name``)."""
    row = table_row(state.module_type)
    return (row.saved_predictor if row is not None else None) or "self"


def _reader(fmt: Any, state: PredictState, name: str) -> Any:
    reader = _READERS.get(fmt.adapter_name)
    if reader is None:
        raise CapabilityError(f"{state.module_type}: streaming replies in {fmt.adapter_name}'s format is not built "
                              f"natively; use adapter='chat', 'json' or 'xml', the dspy backend, or call without streaming")
    return reader(fmt.output_types, name)


def stream(state: PredictState, inputs: Mapping[str, Any], **options: Any) -> Iterator[Any]:
    """``stream(state, inputs, **options)``: the backend contract's streamed call (see the module doc)."""
    return stream_as(predict_name(state), state, inputs, options)


def stream_as(name: str, state: PredictState, inputs: Mapping[str, Any], options: dict[str, Any]) -> Iterator[Any]:
    """:func:`stream` with the chunks naming the predictor ``name`` (a module's predictor, e.g. ReAct's
    ``"react"`` and ``"extract.predict"``)."""
    found = callbacks.active()
    with _OwnEvents(state, found, inputs) as own:
        with Events("adapter_format", found, state, _format_inputs(state, inputs, options)) as events:
            lm, settings, messages, demos, fmt, inputs = prepare(state, inputs, options)
            events.outputs = messages
        client = call._client(lm, state)
        if not hasattr(client, "endpoint"):  # a custom LM object: no streaming protocol
            with Events("lm", found, lm, lm_inputs(messages, settings)) as events:
                events.outputs = outputs = client(messages, **settings)
            yield own.done(_parsed_or_fallback(state, lm, settings, inputs, demos, fmt, outputs, client, found,
                                               options))
            return
        outputs, streamed = yield from _streamed_reply(client, lm, messages, settings, _reader(fmt, state, name),
                                                       found)
        try:
            yield own.done(_parsed(found, fmt, state.signature, outputs))
            return
        except AdapterParseError as error:
            if fmt.adapter_name == "JSONAdapter" or streamed:  # (dspy: no JSON retry once the stream gave out)
                raise call._failed(error, 1) from None
        with _json_formatting(found, state, inputs, options) as events:
            fmt, messages = fallback_request(state, lm, settings, inputs, demos)
            events.outputs = messages
        outputs, _ = yield from _streamed_reply(client, lm, messages, settings, _reader(fmt, state, name), found)
        try:
            yield own.done(_parsed(found, fmt, state.signature, outputs))
        except AdapterParseError as error:
            raise call._failed(error, 2) from None


def _streamed_reply(client: Any, lm: Any, messages: list, settings: dict, reader: Any,
                    found: tuple) -> Generator[Any, None, tuple[list, bool]]:
    """One streamed LM request: yields the chunks ``reader`` finds as the reply arrives (its
    ``lm`` events around it), returns ``(the completions, whether the reply was streamed)`` (not:
    a cache hit, which comes whole)."""
    from dspex_native.lm.streaming import LMStream

    replies = LMStream(client, messages, settings)
    with Events("lm", found, lm, lm_inputs(messages, settings)) as events:
        for piece in replies:
            yield from reader.feed(piece)
        yield from reader.finish()
        events.outputs = replies.completions
    return replies.completions, not replies.cached


def _parsed_or_fallback(state: PredictState, lm: Any, settings: dict, inputs: Mapping[str, Any], demos: Any,
                        fmt: Any, outputs: list, client: Any, found: tuple, options: Mapping[str, Any]) -> Prediction:
    """A custom LM's reply parsed, with DSPy's JSON retry (the unstreamed call's steps)."""
    try:
        return _parsed(found, fmt, state.signature, outputs)
    except AdapterParseError as error:
        if fmt.adapter_name == "JSONAdapter":
            raise call._failed(error, 1) from None
    with _json_formatting(found, state, inputs, options) as events:
        fmt, messages = fallback_request(state, lm, settings, inputs, demos)
        events.outputs = messages
    with Events("lm", found, lm, lm_inputs(messages, settings)) as events:
        events.outputs = outputs = client(messages, **settings)
    try:
        return _parsed(found, fmt, state.signature, outputs)
    except AdapterParseError as error:
        raise call._failed(error, 2) from None
