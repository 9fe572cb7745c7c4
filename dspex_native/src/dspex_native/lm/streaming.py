"""Streamed LM calls: the reply read as server-sent events, its text handed on as it arrives.

:class:`LMStream` is one streamed call of an :class:`~.client.HTTPLMClient`; iterating it yields
the pieces of the completion's text as the server sends them; afterwards ``completions`` holds the
whole text (``[text]``), as ``client(messages, **settings)`` would have returned it. What it sends
is what plain ``dspy.LM(model)`` sends when ``dspy.streamify`` streams a predictor:

* on dspy's own engine's route (lm15, the default): the call's body plus ``"stream": true`` and
  ``"stream_options": {"include_usage": true}`` (every OpenAI-compatible server lm15 knows is
  asked for usage);
* on LiteLLM's route: ``"stream": true``, and ``stream_options`` only inside a
  ``dspex.track_usage()`` block (dspy adds it when ``track_usage`` is on).

The rest is a normal call's (the same pooled, kept-alive transport, :mod:`._pool`): the cache is looked up first (a hit streams nothing: the completion
comes whole, as in dspy, whose listeners then see no chunk), the budget checked, the usage of the
final event recorded, the completion cached and recorded for ``inspect_history``. The call's
deadline is the LM's ``timeout``, else the ``streaming`` timeout profile (not ``inference``).

Failures: one before the first piece of text (an error status, a refused or dropped connection, an
``error`` event first) is retried as a normal call's is; once text was handed on it cannot be taken
back, so a failure then (the connection dropped, an ``error`` event, the deadline) raises
:class:`~dspex_core.errors.LMError` at once, its ``partial`` attribute holding the text received.
Not streamed here (a :class:`~dspex_core.errors.CapabilityError`): ``n > 1``, ``logprobs=True``, and providers with a
wire format of their own (Anthropic, Gemini).
"""

from __future__ import annotations

import codecs
import json
import time
from typing import Any, Iterator

from dspex_core.backend import lm_deadline
from dspex_core.errors import CapabilityError, LMError
from dspex_core.usage import check_budget, dspy_entry, record as record_usage, tracking

#: The timeout profile of a streamed LM call whose LM sets no ``timeout``.
STREAMING_PROFILE = "streaming"


class StreamFailed(Exception):
    """The server ended a stream with an ``error`` event, or sent something that is not one."""


class SSEReader:
    """Server-sent events from a body's bytes: each event's ``data`` (lines joined by ``\\n``)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[str]:
        """The data of the events ``chunk`` completes."""
        text = self._buffer + self._decoder.decode(chunk)
        lines = text.split("\n")
        self._buffer = lines.pop()
        events = []
        for line in lines:
            if line.endswith("\r"):
                line = line[:-1]
            if not line:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
            elif line.startswith("data:"):
                value = line[5:]
                self._data.append(value[1:] if value.startswith(" ") else value)
            # other fields (event:, id:, retry:) and comments (":") carry nothing a completion needs
        return events

    def close(self) -> list[str]:
        """An event the body ended without its blank line."""
        rest = self.feed(b"\n\n") if self._buffer or self._data else []
        return rest


def streamed_body(body: dict[str, Any], own_route: bool) -> dict[str, Any]:
    """The body of a streamed call: ``body`` with dspy's streaming keys (see the module doc)."""
    body = {**body, "stream": True}
    if own_route or tracking():
        body["stream_options"] = {"include_usage": True}
    return body


def _text_of(data: str) -> tuple[str, Any]:
    """``(the event's text, its usage or None)``; a :class:`StreamFailed` for an error event."""
    try:
        event = json.loads(data)
    except ValueError:
        raise StreamFailed(f"the stream sent an event that is not JSON: {data[:200]!r}") from None
    if not isinstance(event, dict):
        raise StreamFailed(f"the stream sent an event that is not an object: {data[:200]!r}")
    error = event.get("error")
    if error is not None:
        message = error.get("message") if isinstance(error, dict) else error
        raise StreamFailed(f"the server ended the stream with an error: {message}")
    text = ""
    for choice in event.get("choices") or ():
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            content = (choice.get("delta") or {}).get("content")
            if isinstance(content, str):
                text += content
    return text, event.get("usage")


class LMStream:
    """One streamed call (see the module doc): iterate for the text, then read ``completions``."""

    def __init__(self, client: Any, messages: list[dict[str, Any]], settings: dict[str, Any]):
        if client.wire is not None:
            raise CapabilityError(f"streaming from {client.model!r} ({client.wire.NAME}'s own wire format) is not "
                                  f"built natively; use the dspy backend, or call the module without streaming")
        self.client = client
        self.body, self.options, self.key, count = client._prepare(messages, settings)
        if count != 1 or (self.body.get("n") or 1) != 1:
            raise CapabilityError("streaming n > 1 completions is not built natively; stream one completion, or "
                                  "call the module without streaming")
        if self.body.get("logprobs") is True:
            raise CapabilityError("streaming with logprobs is not built natively (the streamed chunks' logprobs are "
                                  "not collected); call the module without streaming, or use the dspy backend")
        merged = {**client._defaults, **settings}
        timeout = self.options.timeout if "timeout" in merged else lm_deadline.check_timeout(STREAMING_PROFILE)
        self.timeout = timeout
        self.completions: list[str] | None = None
        #: whether the completion came from the cache (then nothing was streamed)
        self.cached = False

    def __iter__(self) -> Iterator[str]:
        client = self.client
        if self.key is not None:
            hit = client.cache.get(self.key)
            if hit is not None:
                client.usage.hit()
                self.cached = True
                self.completions = _recorded(client, self.body, hit)
                return
        check_budget()
        from dspex_native.lm import _pool

        http = _pool.sync_transport((client._public_base, client.endpoint.key_hash, self.timeout), client._post())
        content = client._encode(streamed_body(self.body, client.route.own))
        deadline = lm_deadline.Deadline(self.timeout, client.model, client._public_base)
        attempts = self.options.policy.attempts
        for attempt in range(1, attempts + 1):
            pieces: list[str] = []
            try:
                usage = yield from self._attempt(http, content, deadline, pieces, attempt)
            except _Failed as failed:
                if pieces:
                    raise _mid_stream(client, attempt, failed.reason, "".join(pieces)) from None
                time.sleep(client._next_delay(failed.failure, attempt, attempts, self.options, deadline))
                continue
            self._succeeded("".join(pieces), usage)
            return

    def _attempt(self, http: Any, content: bytes, deadline: Any, pieces: list[str], attempt: int) -> Iterator[str]:
        """One request: yields its text; returns the usage of its last event (or ``None``)."""
        from dspex_native.lm.client import _CutOff

        client = self.client
        try:
            if deadline.expired():
                raise _CutOff()
            response = http.send(client._post(), content, deadline.remaining)
        except Exception as exc:
            raise _Failed(client._transport_failure(exc)) from None
        try:
            if response.status_code >= 400:
                try:
                    body = response.read()
                except Exception as exc:
                    raise _Failed(client._transport_failure(exc)) from None
                raise _Failed(client._interpret(response.status_code, response.headers, body))
            reader = SSEReader()
            usage = None
            done = False
            try:
                for chunk in response.iter_bytes():
                    for data in () if done else reader.feed(chunk):
                        if data == "[DONE]":  # the body's end is read too: the connection is kept
                            done = True
                            break
                        text, found = _text_of(data)
                        usage = found if found is not None else usage
                        if text:
                            pieces.append(text)
                            yield text
                    if deadline.expired():
                        raise _CutOff()
                if done:
                    return usage
                for data in reader.close():
                    if data != "[DONE]":
                        text, found = _text_of(data)
                        usage = found if found is not None else usage
                        if text:
                            pieces.append(text)
                            yield text
            except StreamFailed as exc:
                raise _Failed(_failure(None, str(exc), retryable=True)) from None
            except Exception as exc:  # transport errors and timeouts, the deadline passing
                if isinstance(exc, _CutOff) and pieces:
                    error = deadline.error(attempts=attempt, status=200, reason="the streamed reply had not finished "
                                           "when the time was up")
                    error.partial = "".join(pieces)  # type: ignore[attr-defined]
                    raise error from None
                raise _Failed(client._transport_failure(exc)) from None
            return usage
        finally:
            response.close()

    def _succeeded(self, text: str, usage: Any) -> None:
        client = self.client
        completions = [text]
        client.usage.add_response(usage)
        record_usage(client.model, dspy_entry(usage))
        if self.key is not None:
            client.cache.put(self.key, completions, model=client.model)
        self.completions = _recorded(client, self.body, completions)


class _Failed(Exception):
    """An attempt failed; ``failure`` is the client's account of why (``_Failure``)."""

    def __init__(self, failure: Any):
        super().__init__(failure.reason)
        self.failure = failure
        self.reason = failure.reason


def _failure(status: int | None, reason: str, retryable: bool) -> Any:
    from dspex_native.lm.client import _Failure

    return _Failure(status, reason, retryable)


def _mid_stream(client: Any, attempt: int, reason: str, partial: str) -> LMError:
    """The error of a stream that failed after text was handed on: not retried, the text kept."""
    error = LMError(f"LM call to {client.model!r} at {client._public_base} failed after {attempt} attempt"
                    f"{'s' if attempt != 1 else ''}, mid-stream after {len(partial)} characters of the reply had "
                    f"been streamed (a stream that has started is not retried; the text received is the "
                    f"error's .partial): {reason}", model=client.model, status=200, attempts=attempt)
    error.partial = partial  # type: ignore[attr-defined]
    return error


def _recorded(client: Any, body: dict[str, Any], completions: list[str]) -> list[str]:
    from dspex_native.lm.client import _recorded as recorded

    return recorded(body, completions, client.model)
