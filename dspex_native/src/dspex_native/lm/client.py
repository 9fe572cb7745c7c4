"""The HTTP LM client: OpenAI-compatible chat completions over HTTP/1.1, and the providers with a
wire format of their own (Anthropic, Gemini: a ``wire_*`` module writes the request from the
OpenAI-style one and reads the reply; :mod:`.providers` picks it).

It has the surface every native LM client has (a custom LM's is :mod:`.custom`):
``client(messages, **settings) -> list[str]``, ``await client.acall(messages, **settings)
-> list[str]`` and ``client.usage`` (a completion whose message carries ``tool_calls`` is
``{"text", "tool_calls"}`` instead, as dspy returns it, and with ``logprobs=True`` every completion
carries its ``logprobs``: :mod:`.logprobs`). It retries transient failures (:mod:`.retry`), caches answers
(:mod:`.cache`), accounts tokens (:mod:`.usage`), and sends through one pooled transport per
configuration (:mod:`._pool`: kept-alive connections of :mod:`._http`, httpx behind a proxy).
The LM's ``timeout`` bounds the whole call, every attempt, reply and wait included
(``dspex_core.backend.lm_deadline``): each attempt streams its reply and stops reading once the
call's deadline has passed, so a server trickling bytes cannot hold a caller past it. Its errors
are :class:`dspex_core.LMError` naming the model, the last status and the number of attempts (an :class:`~dspex_core.errors.LMTimeoutError` when
the time ran out; a :class:`~dspex_core.errors.ContextWindowExceededError`,
never retried, when the provider says the prompt does not fit: :mod:`.context_window`); neither
errors, ``repr`` nor log records ever contain the API key or request headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

from dspex_core.backend import LM, credentials, hold_secrets, lm_deadline, record_history, redact, strip_credentials
from dspex_core.errors import ContextWindowExceededError, LMError
from dspex_core.usage import check_budget, dspy_entry, record as record_usage

from dspex_native.lm import (_judgments, _pool, engine, litellm_rules, litellm_tools, logprobs, wire_anthropic_litellm,
                             wire_gemini_litellm, wire_ollama_litellm)
from dspex_native.lm._request import ClientOptions, cache_settings, split_settings
from dspex_native.lm._wire_input import Refused
from dspex_native.lm.cache import LMCache, cache_key
from dspex_native.lm.context_window import in_response
from dspex_native.lm.encodable import check_encodable
from dspex_native.lm.providers import WIRES, Endpoint, check_reasoning_settings, is_openai_reasoning_model, resolve
from dspex_native.lm.retry import is_retryable_status, parse_retry_after
from dspex_native.lm.usage import UsageTracker

#: The modules writing LiteLLM's requests for the providers with a wire format of their own on its
#: route (used off dspy's own engine's route: ``engine="litellm"``, or a setting that sends dspy that
#: way): Anthropic's and Gemini's, and Ollama's own API (whose own-engine route is OpenAI-compatible).
LITELLM_WIRES = {"anthropic": wire_anthropic_litellm, "gemini": wire_gemini_litellm,
                 "ollama": wire_ollama_litellm.GENERATE, "ollama_chat": wire_ollama_litellm.CHAT}

logger = logging.getLogger("dspex_native.lm")
#: The request body's encoder, made once (``json.dumps`` with these options builds one per call).
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _completion(message: dict[str, Any], lm15: bool = True) -> Any:
    """A choice's completion: its text, or ``{"text", "reasoning_content"?, "tool_calls"?}`` when
    the reply carries reasoning (``reasoning_content``, or ``reasoning``, as both engines read it)
    or function calls, read as dspy's own engine reads them (:func:`_read_calls`; no text is
    ``None``), or on LiteLLM's route (``lm15`` false) as LiteLLM hands them on
    (:func:`_litellm_calls`; the content as it came)."""
    calls = message.get("tool_calls")
    if calls:
        calls = _read_calls(message, calls) if lm15 else _litellm_calls(calls)
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if not calls and not reasoning:
        return message.get("content") or ""
    content = message.get("content")
    out: dict[str, Any] = {"text": (content or None) if lm15 or calls else content}
    if reasoning:
        out["reasoning_content"] = str(reasoning)
    if calls:
        out["tool_calls"] = calls
    return out


def _litellm_calls(calls: Any) -> list[dict[str, Any]]:
    """The reply's function calls as LiteLLM hands them on: as they came (the arguments' text not
    read: dspy's adapter reads it leniently), a missing id a random UUID as LiteLLM makes one."""
    import uuid

    read = []
    for call in calls if isinstance(calls, list) else ():
        if not isinstance(call, dict) or (call.get("type") or "function") != "function":
            continue
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        arguments = function.get("arguments")
        read.append({"id": str(call.get("id") or uuid.uuid4()), "type": "function",
                     "function": {"name": function.get("name"),
                                  "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}})
    return read


def _read_calls(message: dict[str, Any], calls: Any) -> list[dict[str, Any]]:
    """The reply's function calls as lm15 reads them and dspy hands them on (``legacy_output``):
    ``{"id", "type": "function", "function": {"name", "arguments": JSON text}}``, a missing id
    numbered by its place among the message's parts, arguments read as an object (JSON text that
    is no object kept under ``partial_json`` / ``value``), calls of other types left out."""
    parts = bool(message.get("reasoning_content") or message.get("reasoning"))
    content = message.get("content")
    parts += bool(content) if isinstance(content, str) else sum(
        isinstance(c, dict) and c.get("type") == "text" for c in content) if isinstance(content, list) else 0
    parts += bool(message.get("refusal"))
    read = []
    for call in calls if isinstance(calls, list) else ():
        if not isinstance(call, dict) or (call.get("type") or "function") != "function":
            continue
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        if not function.get("name"):
            raise ValueError("a tool call without a name")
        read.append({"id": str(call.get("id") or f"call_{parts}"), "type": "function",
                     "function": {"name": str(function["name"]), "arguments": json.dumps(_object(function.get("arguments")))}})
        parts += 1
    return read


def _object(value: Any) -> dict[str, Any]:
    """lm15's ``parse_json_object``."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {"partial_json": value}
        return parsed if isinstance(parsed, dict) else {"value": parsed}
    return {}


def dspy_outputs(completions: list[Any]) -> list[Any]:
    """The completions as dspy's ``LM.__call__`` returns (and records) them: strings when every one is
    text, else a dict for each (``{"text": ...}`` for a plain one)."""
    if all(type(c) is str for c in completions):
        return completions
    return [c if isinstance(c, dict) else {"text": c} for c in completions]


def _recorded(body: dict[str, Any], completions: list[str], model: str) -> list[str]:
    """``completions``, the call recorded for ``dspex.inspect_history`` (as DSPy records every call,
    a cache hit included): the messages, the body's settings, never a header; the outputs as dspy's
    ``LM`` records them (:func:`dspy_outputs`)."""
    if body.get("logprobs") is True:  # handed on with attribute access (a cached completion's are plain)
        completions = logprobs.attach(completions)
    record_history(body["messages"], dspy_outputs(completions), model=model,
                   settings={k: v for k, v in body.items() if k != "model" and k != "messages"})
    return completions


@dataclass
class _Failure:
    status: int | None
    reason: str
    retryable: bool
    retry_after: float | None = None
    context_window: bool = False  # the prompt does not fit: never retried, ContextWindowExceededError


class _CutOff(Exception):
    """The call's deadline passed before or while a reply arrived (reading stops there)."""


class HTTPLMClient:
    """Calls the OpenAI-compatible endpoint a :class:`dspex_core.LM` describes."""

    def __init__(self, lm: LM, *, cache: LMCache | None = None):
        self.lm = lm
        self.model = lm.model
        self.endpoint: Endpoint = resolve(lm)
        self.route = engine.route(lm)  # dspy's own engine (one request per completion) or LiteLLM's
        #: the model LiteLLM's rules are read for: on its route a "-latest" alias is the model it stands for
        self._rules_model = lm.model
        alias = None if self.route.own else litellm_rules.resolved(lm.model)
        if alias is not None:
            self._rules_model = alias[0]
            self.endpoint = replace(self.endpoint, model_name=alias[1])
        self._defaults = dict(lm.settings)
        self._cache_by_credentials = bool(self._defaults.pop("cache_key_includes_credentials", False))
        reasoning = is_openai_reasoning_model(lm.model)  # dspy.LM's rule, on the name as given
        if reasoning:
            check_reasoning_settings(lm.model, self._defaults)
            if "max_tokens" in self._defaults:  # dspy.LM keeps a reasoning model's limit under this name
                self._defaults["max_completion_tokens"] = self._defaults.pop("max_tokens")
        #: LiteLLM's max_tokens rename, for the model it sends
        self._completion_tokens = reasoning if alias is None else is_openai_reasoning_model(self._rules_model)
        split_settings(self._defaults, {})  # reject bad settings now, not on the first call
        if cache is None:
            size, directory = cache_settings(self._defaults)
            cache = LMCache(size, directory)
        self.cache = cache
        self.usage = UsageTracker()
        self._warned_rollout = False
        self._prepared: Any = None
        self._prepared_stream: Any = None
        #: the module writing and reading a provider's own wire format, or None for OpenAI's
        self.wire = WIRES.get(self.endpoint.provider)
        if not self.route.own and self.endpoint.provider in LITELLM_WIRES:  # LiteLLM's client, not lm15's
            self.wire = LITELLM_WIRES[self.endpoint.provider]
            self.endpoint = replace(self.endpoint, base_url=self.wire.base_url(self.endpoint.base_url,
                                                                               self.endpoint.model_name))
        #: whose rules say that an error answer is a context-window error (.context_window): LiteLLM's, or
        #: lm15's for the wire its provider speaks
        self._error_rules = "litellm" if not self.route.own else \
            self.endpoint.provider if self.endpoint.provider in WIRES else "openai"
        #: where requests go (after LiteLLM's base, above), for messages, cache keys and pools
        self._public_base = strip_credentials(self.endpoint.base_url)
        if self.wire is not None:
            self._headers = self.wire.headers(self.endpoint.api_key)
        else:
            self._headers = {"Content-Type": "application/json"}
            if self.endpoint.api_key:  # Azure's header is LiteLLM's (the OpenAI SDK's Azure client)
                name, value = ("api-key", self.endpoint.api_key) if self.endpoint.provider == "azure" else \
                    ("Authorization", f"Bearer {self.endpoint.api_key}")
                self._headers[name] = value
        for name in ("headers", "extra_headers"):
            extra = lm.secret(name)
            if isinstance(extra, dict):
                self._headers.update({str(k): str(v) for k, v in extra.items()})
        if lm.secret("organization"):
            self._headers["OpenAI-Organization"] = str(lm.secret("organization"))
        if self.endpoint.basic_auth:  # user:password@ in the base URL wins, as httpx's URL auth did
            self._headers["Authorization"] = self.endpoint.basic_auth
        self._credentials = self._hold_credentials()

    def _hold_credentials(self) -> str | None:
        """Make the redactor know every credential this client sends (its headers, the key from
        the environment included, and the base URL's as written) while it lives; the digest of
        them that keys the cache when the LM has ``cache_key_includes_credentials=True``."""
        sent = {k: v for k, v in self._headers.items() if k.lower() not in ("content-type", "anthropic-version")}
        hold_secrets(self, (*credentials.header_secrets(sent),
                            *credentials.settings_secrets({**self.lm.settings, "api_key": self.endpoint.api_key})))
        return credentials.digest(sorted(sent.items())) if self._cache_by_credentials else None

    # -- the protocol ----------------------------------------------------------------------
    def __call__(self, messages: list[dict[str, Any]], **settings: Any) -> list[str]:
        body, options, key, count = self._prepare(messages, settings)
        if key is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.usage.hit()
                return _recorded(body, hit, self.model)
        check_budget()  # a dspex.track_usage() budget already spent: no request is sent
        http = _pool.sync_transport(self._pool_key(options), self._post())
        content = self._encode(body)
        deadline = lm_deadline.Deadline(options.timeout, self.model, self._public_base)
        if count == 1:
            return _recorded(body, self._succeeded(self._send(http, content, options, deadline), key), self.model)
        # dspy's own engine: one request per completion, each with its own retries, in order; each
        # is counted as it arrives (a later one failing leaves the earlier ones counted, as in dspy)
        completions = [self._one(self._send(http, content, options, deadline)) for _ in range(count)]
        return _recorded(body, self._cached(completions, key), self.model)

    async def acall(self, messages: list[dict[str, Any]], **settings: Any) -> list[str]:
        body, options, key, count = self._prepare(messages, settings)
        if key is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.usage.hit()
                return _recorded(body, hit, self.model)
        check_budget()
        http = _pool.async_transport(self._pool_key(options), self._post())
        content = self._encode(body)
        deadline = lm_deadline.Deadline(options.timeout, self.model, self._public_base)
        if count == 1:
            return _recorded(body, self._succeeded(await self._asend(http, content, options, deadline), key),
                             self.model)
        completions = [self._one(await self._asend(http, content, options, deadline)) for _ in range(count)]
        return _recorded(body, self._cached(completions, key), self.model)

    def _send(self, http: Any, content: bytes, options: ClientOptions,
              deadline: lm_deadline.Deadline) -> tuple[list[str], Any]:
        """One request, retried as the policy and the deadline allow: ``(completions, usage)``."""
        attempts = options.policy.attempts
        for attempt in range(1, attempts + 1):
            try:
                outcome = self._interpret(*self._exchange(http, content, deadline), options)
            except Exception as exc:  # transport errors and timeouts, the deadline passing
                outcome = self._transport_failure(exc)
            if not isinstance(outcome, _Failure):
                return outcome
            time.sleep(self._next_delay(outcome, attempt, attempts, options, deadline))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _asend(self, http: Any, content: bytes, options: ClientOptions,
                     deadline: lm_deadline.Deadline) -> tuple[list[str], Any]:
        attempts = options.policy.attempts
        for attempt in range(1, attempts + 1):
            try:
                outcome = self._interpret(*await self._aexchange(http, content, deadline), options)
            except Exception as exc:  # transport errors and timeouts, the deadline passing
                outcome = self._transport_failure(exc)
            if not isinstance(outcome, _Failure):
                return outcome
            await asyncio.sleep(self._next_delay(outcome, attempt, attempts, options, deadline))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- steps -----------------------------------------------------------------------------
    def _prepare(self, messages: Any,
                 settings: dict[str, Any]) -> tuple[dict[str, Any], ClientOptions, str | None, int]:
        """``(the body of each request, client options, cache key or None, how many requests)``."""
        if not isinstance(messages, list) or not messages:
            from dspex_core.errors import InputError

            raise InputError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
        check_encodable(messages, "messages")
        request, options = self._request_settings(settings)
        if options.rollout_id is not None and request.get("temperature") == 0 and not self._warned_rollout:
            self._warned_rollout = True
            import warnings

            warnings.warn("rollout_id has no effect when temperature=0; set temperature>0 to bypass the cache.",
                          stacklevel=3)
        count = 1
        # The cache key is the call's (its ``n`` included, unlike dspy's own engine, whose key for the
        # whole call leaves ``n`` out): the ``n`` completions are stored and served together.
        key = None
        if options.cache:
            key = cache_key(model=self.model, base_url=self._public_base,
                            body={"model": self.endpoint.model_name, "messages": messages, **request},
                            rollout_id=options.rollout_id, credentials=self._credentials)
        if self.wire is not None:
            if not self.route.own:  # LiteLLM's refusals for the model, before its Anthropic client's body
                messages = litellm_rules.apply(self._rules_model, request, messages)
            request, count = self.wire.shape(request)
            shaped = None
        else:
            shaped = self.route.shape(request, messages) if self.route.own else None
        lm15 = self.route.own and (self.wire is not None or shaped is not None)  # this call's route
        if request.get("logprobs") and not lm15:
            raise logprobs.not_built(self.model)  # LiteLLM's route: its own ChoiceLogprobs objects
        if shaped is not None:
            request, count = shaped
            messages = self.route.messages(messages)
        else:
            if self.wire is None:  # LiteLLM's route: its refusals and message rewrites for the model
                messages = litellm_rules.apply(self._rules_model, request, messages)
                litellm_tools.apply(self._rules_model, request, self._public_base)
            if self._completion_tokens and "max_tokens" in request:  # LiteLLM's rename for these models
                request.setdefault("max_completion_tokens", request.pop("max_tokens"))
        found = _judgments.judgments(request.get("response_format")) if lm15 else None
        if found or request.get("logprobs") is True or "tools" in request:  # (the common call: none of them)
            options = replace(options, logprobs=request.get("logprobs") is True, judgments=found or None, lm15=lm15)
        return {"model": self.endpoint.model_name, "messages": messages, **request}, options, key, count

    def _request_settings(self, settings: dict[str, Any]) -> tuple[dict[str, Any], ClientOptions]:
        """The call's request settings (the LM's defaults under the call's; before the route shapes
        them for the wire: one request per completion, the token limit's field) and its client options."""
        return split_settings(self._defaults, settings)

    def render(self, messages: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
        """What a call with these messages and settings would send (``ref.render``), without sending it."""
        from dspex_core.backend import rendered

        return rendered(messages, self._request_settings(settings)[0], self.model)

    def _encode(self, body: dict[str, Any]) -> bytes:
        if self.wire is not None:
            body = self.wire.body(body)
        try:
            return _JSON.encode(body).encode("utf-8")
        except (TypeError, ValueError) as exc:
            from dspex_core.errors import InputError

            raise InputError(f"the request for {self.model!r} cannot be sent as JSON: {exc}") from None

    def _post(self, stream: bool = False) -> Any:
        """The endpoint's request, its head written once per client (:class:`._http_wire.Post`):
        a call adds only its body. A streamed call's goes where the wire streams (Gemini's
        ``:streamGenerateContent?alt=sse``; elsewhere the same URL)."""
        if stream and self.wire is not None and hasattr(self.wire, "stream_url"):
            post = self._prepared_stream
            if post is None:
                post = self._prepared_stream = self._new_post(self.wire.stream_url(self.endpoint.base_url,
                                                                                   self.endpoint.model_name))
            return post
        post = self._prepared
        if post is None:
            url = self.endpoint.chat_url if self.wire is None else \
                self.wire.url(self.endpoint.base_url, self.endpoint.model_name)
            post = self._prepared = self._new_post(url)
        return post

    def _new_post(self, url: str) -> Any:
        from dspex_native import __version__
        from dspex_native.lm._http_wire import Post

        return Post(url, self._headers, f"dspex-native/{__version__}")

    def _exchange(self, http: Any, content: bytes, deadline: lm_deadline.Deadline) -> tuple[int, Any, bytes]:
        """One attempt: ``(status, headers, body)``; every network wait gets at most the time
        left, and the body is cut off (:class:`_CutOff`) once the call's deadline has passed,
        however slowly its bytes come."""
        if deadline.expired():
            raise _CutOff()
        response = http.send(self._post(), content, deadline.remaining)
        try:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if deadline.expired():
                    raise _CutOff()
            return response.status_code, response.headers, b"".join(chunks)
        finally:
            response.close()

    async def _aexchange(self, http: Any, content: bytes, deadline: lm_deadline.Deadline) -> tuple[int, Any, bytes]:
        """:meth:`_exchange` for the async transport; the whole attempt runs under
        ``asyncio.timeout`` (``lm_deadline.async_timeout``) with the time left, which stops even a
        stalled read at the deadline (the connection is closed, never reused)."""
        left = deadline.remaining()
        if left is not None and left <= 0:
            raise _CutOff()
        try:
            async with lm_deadline.async_timeout(left):
                response = await http.send(self._post(), content, deadline.remaining)
                try:
                    chunks = []
                    async for chunk in response.aiter_bytes():
                        chunks.append(chunk)
                        if deadline.expired():
                            raise _CutOff()
                    return response.status_code, response.headers, b"".join(chunks)
                finally:
                    await response.aclose()
        except TimeoutError:  # asyncio.timeout's (the transports raise their own classes)
            raise _CutOff() from None

    def _pool_key(self, options: ClientOptions) -> tuple[str, str, Any]:
        return (self._public_base, self.endpoint.key_hash, options.timeout)

    def _interpret(self, status: int, headers: Any, content: bytes,
                   options: ClientOptions | None = None) -> tuple[list[str], Any] | _Failure:
        """The completions and the response's ``usage`` object, or why the call failed; read as the
        call's ``options`` say: with its choice's logprobs on each completion (:mod:`.logprobs`), a
        judgment answer as dspy's own engine hands it on (:mod:`._judgments`)."""
        read_logprobs = options is not None and options.logprobs
        found = options.judgments if options is not None else None
        if status >= 400:
            if in_response(status, content, engine=self._error_rules):
                return _Failure(status, self._error_reason(status, content), False, context_window=True)
            return _Failure(status, self._error_reason(status, content), is_retryable_status(status),
                            parse_retry_after(headers.get("retry-after")))
        if self.wire is not None:
            return self._interpret_wire(status, content, found)
        try:
            data = json.loads(content)
            choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
            completions = [_completion(c.get("message") or {}, self.reads_as_lm15(options)) for c in choices]
            if read_logprobs:
                completions = [logprobs.completion(done, c.get("logprobs")) for done, c in zip(completions, choices)]
        except (ValueError, KeyError, TypeError, AttributeError):
            return _Failure(status, "the response is not a chat completion", retryable=False)
        if not completions:  # no choice: one empty completion, as DSPy 3.4 reads it (the reply cannot be parsed)
            completions = [""]
        if found:  # dspy's own engine hands a judgment answer on as its object written again
            try:
                completions = [_judgments.answer_completion(c, found) for c in completions]
            except _judgments.Unholdable as exc:
                return _Failure(status, str(exc), retryable=False)
        return completions, data.get("usage")

    def _interpret_wire(self, status: int, content: bytes, found: Any) -> tuple[list[str], Any] | _Failure:
        """A 2xx reply in the provider's own format: its text and usage (the client's shape), read
        with the judgments the request's response format declares (``found``, on dspy's own engine)."""
        try:
            data = json.loads(content)
            return self.wire.parse(data, found) if found else self.wire.parse(data)
        except (Refused, _judgments.Unholdable) as exc:
            return _Failure(status, redact(str(exc), self.endpoint.api_key), retryable=False)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return _Failure(status, f"the response is not a {self.wire.NAME} reply", retryable=False)

    def _error_reason(self, status: int, content: bytes) -> str:
        try:
            data = json.loads(content)
            error = data.get("error", data) if isinstance(data, dict) else data
            message = error.get("message") if isinstance(error, dict) else error
            reason = str(message) if message else content.decode("utf-8", "replace")
        except ValueError:
            reason = content.decode("utf-8", "replace")
        reason = redact(reason.strip() or "no message", self.endpoint.api_key)
        if status == 401 and not self.endpoint.api_key and self.endpoint.key_env:
            reason += f" (no API key was sent: set {self.endpoint.key_env} or pass api_key=)"
        return reason

    def _transport_failure(self, exc: Exception) -> _Failure:
        if isinstance(exc, _CutOff):
            return _Failure(None, "the reply had not arrived (in full) when the time was up", retryable=True)
        from dspex_native.lm._http_wire import TransportError, TransportTimeout

        httpx = sys.modules.get("httpx")  # a proxied endpoint's transport is httpx's
        if isinstance(exc, TransportError):
            timed_out = isinstance(exc, TransportTimeout)
        elif httpx is not None and isinstance(exc, httpx.TransportError):
            timed_out = isinstance(exc, httpx.TimeoutException)
        else:
            raise exc
        kind = "timeout" if timed_out else "connection error"
        detail = redact(str(exc) or type(exc).__name__, self.endpoint.api_key, limit=200)
        return _Failure(None, f"{kind}: {type(exc).__name__}: {detail}", retryable=True)

    def _next_delay(self, failure: _Failure, attempt: int, attempts: int, options: ClientOptions,
                    deadline: lm_deadline.Deadline) -> float:
        """The wait before the next attempt, or the error that ends the call (an
        :class:`~dspex_core.errors.LMTimeoutError` once the deadline is reached or a wait would
        pass it)."""
        if failure.retryable and deadline.expired():
            raise deadline.error(attempts=attempt, status=failure.status, reason=failure.reason)
        if not failure.retryable or attempt >= attempts:
            status = failure.status if failure.status is not None else "none"
            kind = ContextWindowExceededError if failure.context_window else LMError
            raise kind(
                f"LM call to {self.model!r} at {self._public_base} failed after {attempt} attempt"
                f"{'s' if attempt != 1 else ''} (last status: {status}): {failure.reason}",
                model=self.model, status=failure.status, attempts=attempt) from None
        delay = deadline.wait(options.policy.delay(attempt, failure.retry_after), attempts=attempt,
                              status=failure.status, reason=failure.reason, retry_after=failure.retry_after)
        logger.debug("LM call to %s failed (status %s, attempt %d/%d); retrying in %.3fs",
                     self.model, failure.status, attempt, attempts, delay)
        return delay

    def reads_as_lm15(self, options: ClientOptions | None) -> bool:
        """Whether a call's reply is read as dspy's own engine reads it (else as LiteLLM hands it on):
        the call's route where it was recorded (a call with tools), else the client's."""
        return self.route.own if options is None or options.lm15 is None else options.lm15

    def count_usage(self, usage: Any) -> None:
        """Count one provider response's ``usage`` object: the client's totals, and the recorded
        entry ``pred.get_lm_usage()`` and ``dspex.track_usage()`` sum."""
        self.usage.add_response(usage)
        record_usage(self.model, dspy_entry(usage))

    def _succeeded(self, outcome: tuple[list[str], Any], key: str | None) -> list[str]:
        completions, usage = outcome
        self.count_usage(usage)
        if key is not None:
            self.cache.put(key, completions, model=self.model)
        return completions

    def _one(self, outcome: tuple[list[str], Any]) -> str:
        """The completion of one of dspy's own engine's requests (one choice each), its usage counted."""
        self.count_usage(outcome[1])
        return outcome[0][0]

    def _cached(self, completions: list[str], key: str | None) -> list[str]:
        if key is not None:
            self.cache.put(key, completions, model=self.model)
        return completions

    def __repr__(self) -> str:
        return f"HTTPLMClient(model={self.model!r}, base_url={self._public_base!r})"
