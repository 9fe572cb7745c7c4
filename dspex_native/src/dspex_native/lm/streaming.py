"""Streamed LM calls: the reply read as server-sent events, its text handed on as it arrives.

:class:`LMStream` is one streamed call of an :class:`~.client.HTTPLMClient`; iterating it yields
the pieces of the completion's text as the server sends them; afterwards ``completions`` holds the
whole text (``[text]``), as ``client(messages, **settings)`` would have returned it. What it sends
is what plain ``dspy.LM(model)`` sends when ``dspy.streamify`` streams a predictor:

* on dspy's own engine's route (lm15, the default): the call's body plus ``"stream": true`` and
  ``"stream_options": {"include_usage": true}`` (every OpenAI-compatible server lm15 knows is
  asked for usage);
* on LiteLLM's route: ``"stream": true``, and ``stream_options`` only inside a
  ``dspex.track_usage()`` block (dspy adds it when ``track_usage`` is on);
* on Anthropic's and Gemini's own wires (lm15's): the wire's body with ``"stream": true``
  (Anthropic) or to the streaming method (Gemini's ``:streamGenerateContent?alt=sse``), each
  wire's events read as lm15 reads them (the wire module's ``StreamReader``: text by part, the
  usage of the event that ends the reply, a stream cut before that event is a failure);
* on LiteLLM's route for anthropic/ and gemini/ (:mod:`.wire_anthropic_litellm`,
  :mod:`.wire_gemini_litellm`): LiteLLM's body with ``"stream": true`` or to the same streaming
  method, the events read as LiteLLM reads them (its ``StreamReader`` there: text as it comes,
  the usage of the events folded as LiteLLM folds it, the reply's end where LiteLLM finds it);
  for ollama/ and ollama_chat/ (:mod:`.wire_ollama_litellm`, Ollama's own API): the body with
  ``"stream": true``, the reply's newline-delimited JSON lines (:class:`LineReader`) read as
  LiteLLM reads them.

The rest is a normal call's (the same pooled, kept-alive transport, :mod:`._pool`): the cache is looked up first (a hit streams nothing: the completion
comes whole, as in dspy, whose listeners then see no chunk), the budget checked, the usage of the
final event recorded, the completion cached and recorded for ``inspect_history``. The call's
deadline is the LM's ``timeout``, else the ``streaming`` timeout profile (not ``inference``).

Failures: one before the first piece of text (an error status, a refused or dropped connection, an
``error`` event first) is retried as a normal call's is; once text was handed on it cannot be taken
back, so a failure then (the connection dropped, an ``error`` event, the deadline) raises
:class:`~dspex_core.errors.LMError` at once, its ``partial`` attribute holding the text received.
With the judgments of a JSON adapter's schema (:mod:`._judgments`) the completion is the answer
dspy's own engine hands on, as for an unstreamed call; the pieces streamed are the reply's text.
With ``logprobs=True`` (dspy's own engine's OpenAI-style doors) the completion is ``{"text",
"logprobs"}``, the token entries of the events that carried text, in order (:mod:`.logprobs`).
``n > 1`` completions come as dspy streams them: on dspy's own engine, one streamed request per
completion, in turn, only the first one's text handed on (dspy's listeners take the first); on
LiteLLM's route one request with ``n``, the first choice's text handed on, the others' kept for the
completions. A reply's function calls (OpenAI's ``delta.tool_calls`` pieces, Anthropic's
``tool_use`` blocks, Gemini's ``functionCall`` parts, on dspy's own engine's routes) are assembled
as lm15 assembles them (:class:`._stream_reply.StreamedReply`); on LiteLLM's route (OpenAI-style
providers: the others refuse tools there) as LiteLLM's chunk builder assembles them
(:meth:`._stream_reply.StreamedReply.message`), then read as an unstreamed reply's.
"""

from __future__ import annotations

import codecs
import time
from typing import Any, Iterator

from dspex_core.backend import lm_deadline
from dspex_core.errors import LMError
from dspex_core.usage import check_budget, tracking

from dspex_native.lm import _judgments, logprobs
from dspex_native.lm._stream_reply import ChatStream, StreamedReply, StreamFailed

#: The timeout profile of a streamed LM call whose LM sets no ``timeout``.
STREAMING_PROFILE = "streaming"


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


class LineReader:
    """Newline-delimited JSON from a body's bytes (Ollama's streams): each non-blank line."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer = ""

    def feed(self, chunk: bytes) -> list[str]:
        """The lines ``chunk`` completes."""
        lines = (self._buffer + self._decoder.decode(chunk)).split("\n")
        self._buffer = lines.pop()
        return [line for line in lines if line.strip()]

    def close(self) -> list[str]:
        """A last line the body ended without its line feed."""
        rest, self._buffer = self._buffer + self._decoder.decode(b"", final=True), ""
        return [rest] if rest.strip() else []


def streamed_body(body: dict[str, Any], own_route: bool) -> dict[str, Any]:
    """The body of a streamed call: ``body`` with dspy's streaming keys (see the module doc)."""
    body = {**body, "stream": True}
    if own_route or tracking():
        body["stream_options"] = {"include_usage": True}
    return body


class LMStream:
    """One streamed call (see the module doc): iterate for the text, then read ``completions``."""

    def __init__(self, client: Any, messages: list[dict[str, Any]], settings: dict[str, Any]):
        self.client = client
        #: the requests a call of n completions makes (one per completion on dspy's own engine)
        self.body, self.options, self.key, self.count = client._prepare(messages, settings)
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

        post = client._post(stream=True)
        http = _pool.sync_transport((client._public_base, client.endpoint.key_hash, self.timeout), post)
        content = client._encode(streamed_body(self.body, client.route.own))
        deadline = lm_deadline.Deadline(self.timeout, client.model, client._public_base)
        completions: list[Any] = []
        for number in range(self.count):  # dspy's own engine: one streamed request per completion
            completions += yield from self._request(http, post, content, deadline, quiet=number > 0)
        self.completions = _recorded(client, self.body, client._cached(completions, self.key))

    def _request(self, http: Any, post: Any, content: bytes, deadline: Any, quiet: bool) -> Iterator[str]:
        """One streamed request, retried while nothing of it arrived: yields its text (but for a
        later completion's, ``quiet``: only the first completion streams, as in dspy, whose
        listeners take the first); returns its completions, its usage counted."""
        client = self.client
        attempts = self.options.policy.attempts
        attempt = 0
        while True:  # until a reply, or the error _next_delay raises after the last attempt
            attempt += 1
            pieces: list[str] = []
            try:
                reply = yield from self._attempt(http, post, content, deadline, pieces, attempt, quiet)
            except _Failed as failed:
                if pieces:
                    raise _mid_stream(client, attempt, failed.reason, "".join(pieces)) from None
                time.sleep(client._next_delay(failed.failure, attempt, attempts, self.options, deadline))
                continue
            return self._read(reply, attempt, "".join(pieces))

    def _attempt(self, http: Any, post: Any, content: bytes, deadline: Any, pieces: list[str],
                 attempt: int, quiet: bool = False) -> Iterator[str]:
        """One request: yields its text (unless ``quiet``); returns the reply read (a :class:`StreamedReply`)."""
        from dspex_native.lm.client import _CutOff

        client = self.client
        try:
            if deadline.expired():
                raise _CutOff()
            response = http.send(post, content, deadline.remaining)
        except Exception as exc:
            raise _Failed(client._transport_failure(exc)) from None
        try:
            if response.status_code >= 400:
                try:
                    body = response.read()
                except Exception as exc:
                    raise _Failed(client._transport_failure(exc)) from None
                raise _Failed(client._interpret(response.status_code, response.headers, body))
            events = LineReader() if getattr(client.wire, "STREAM_FRAMING", None) == "ndjson" else SSEReader()
            reply = client.wire.StreamReader() if client.wire is not None else ChatStream()
            try:
                for chunk in response.iter_bytes():  # after the last event, the body's end is read too
                    yield from _read_events(reply, () if reply.done else events.feed(chunk), pieces, quiet)
                    if deadline.expired():
                        raise _CutOff()
                yield from _read_events(reply, () if reply.done else events.close(), pieces, quiet)
                if not reply.ended:
                    raise StreamFailed("the stream ended before its last event")
            except StreamFailed as exc:
                raise _Failed(_failure(None, str(exc), retryable=True)) from None
            except Exception as exc:  # transport errors and timeouts, the deadline passing
                if isinstance(exc, _CutOff) and pieces:
                    error = deadline.error(attempts=attempt, status=200, reason="the streamed reply had not finished "
                                           "when the time was up")
                    error.partial = "".join(pieces)  # type: ignore[attr-defined]
                    raise error from None
                raise _Failed(client._transport_failure(exc)) from None
            return reply
        finally:
            response.close()

    def _read(self, reply: StreamedReply, attempt: int, streamed: str) -> list[Any]:
        """The completions of a request's reply, its usage counted."""
        client = self.client
        try:
            if (reply.calls or reply.reasoning) and client.wire is None and not client.reads_as_lm15(self.options):
                # LiteLLM's route: the message its chunk builder assembles, read as an unstreamed reply's
                from dspex_native.lm.client import _completion

                completions: list[Any] = [_completion(reply.message(), lm15=False), *reply.other_completions()]
            else:
                completions = reply.completions(self.options.judgments)
        except (_judgments.Unholdable, StreamFailed) as exc:  # as in dspy: the call fails once the reply is in
            raise _mid_stream(client, attempt, str(exc), streamed) from None
        if self.options.logprobs:  # asked for on dspy's own engine (LiteLLM's route refuses it)
            completions = [logprobs.completion(completions[0], {"content": reply.token_logprobs})]
        client.count_usage(reply.usage)
        return completions


def _read_events(reply: StreamedReply, events: Any, pieces: list[str], quiet: bool) -> Iterator[str]:
    """Hand ``events`` (their ``data``) to ``reply`` until its last one; yield the text they carry
    (unless ``quiet``), kept in ``pieces`` too."""
    for data in events:
        for text in reply.read(data):
            pieces.append(text)
            if not quiet:
                yield text
        if reply.done:
            return


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
