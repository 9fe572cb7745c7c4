"""Ollama's own API as dspy 3.4 sends it through LiteLLM (``engine="litellm"``, or ``OLLAMA_API_BASE``
or a client setting that sends dspy LiteLLM's way under ``"auto"``).

dspy's own engine speaks Ollama's OpenAI-compatible ``/v1`` (the OpenAI body, :mod:`.engine`);
LiteLLM's Ollama clients speak its native API instead, one client per prefix:

* ``ollama_chat/<model>`` (:data:`CHAT`): ``POST {base}/api/chat`` with ``model``, ``messages``
  (``role``, ``content`` as one string, a ``thinking`` copy of a ``<think>...</think>`` lead,
  ``images``: each image part's URL, a data URL's base64 data alone), ``options``,
  ``stream: false``, then ``format``, ``keep_alive`` and ``think`` when set;
* ``ollama/<model>`` (:data:`GENERATE`): ``POST {base}/api/generate`` with ``model``, ``prompt``
  (the messages folded by LiteLLM's template, :mod:`.ollama_prompt`), ``options``,
  ``stream: false``, ``format`` when set, ``images`` (the user messages' images: a data URL's
  PNG or JPEG data), ``think`` when set.

``{base}`` is ``api_base=`` (``/api/chat`` not added twice), else ``OLLAMA_API_BASE``, else
``http://localhost:11434``. ``options`` holds the settings as LiteLLM maps them, in the order of
its OpenAI parameters: ``temperature``, ``top_p``, ``stop`` (as given), ``num_predict``
(``max_tokens`` or ``max_completion_tokens``), ``frequency_penalty`` (``repeat_penalty`` on
``/api/chat``), ``seed``; then Ollama's own options as given (``top_k``, ``num_ctx``,
``mirostat``, ... and ``keep_alive`` on ``/api/generate``). ``response_format`` is ``format``
(``"json"`` for ``json_object``, the schema for ``json_schema``), ``reasoning_effort`` is
``think`` (on for low/medium/high, the level itself for gpt-oss models). The key, ``api_key=`` or
``OLLAMA_API_KEY``, goes as ``Authorization: Bearer``; no other header is LiteLLM's (it sends no
``Content-Type``). Settings LiteLLM refuses for Ollama (``n`` above 1, ``presence_penalty``,
``logprobs``, ...) are refused before sending by :mod:`.litellm_rules`.

The reply is one completion: ``message.content`` (``/api/chat``) or ``response``
(``/api/generate``), a leading ``<think>...</think>`` taken off as LiteLLM takes it into
``reasoning_content`` (unless the reply has a ``thinking`` field); on ``/api/generate`` with
``format: "json"`` (dspy's JSON adapter) a reply that is JSON (in a code fence or not) is that
JSON written again by ``json.dumps``, as LiteLLM rewrites it (a ``{"name", "arguments"}`` object,
which LiteLLM reads as a tool call, is an error here); usage from
``prompt_eval_count`` and ``eval_count`` (a reply without ``prompt_eval_count``, which LiteLLM
counts with its tokenizer, is not counted).

A streamed call (:mod:`.streaming`) sends the same body with ``"stream": true`` and reads the
reply's newline-delimited JSON as LiteLLM's stream readers do (:class:`ChatStreamReader`,
:class:`GenerateStreamReader`).

Not built (a :class:`~dspex_core.CapabilityError`): tools and function calls (sent or in the
messages), images on ``/api/generate`` by http(s) URL (LiteLLM downloads them) or in formats
other than PNG and JPEG (it re-encodes them), other keys. LiteLLM's model-info
lookup (``POST /api/show``, made in the background for its cost bookkeeping) is not made.
"""

from __future__ import annotations

import base64
import json
import os
import re
from contextvars import ContextVar
from typing import Any

from dspex_core.errors import CapabilityError, InputError

from dspex_native.lm import ollama_prompt
from dspex_native.lm._stream_reply import StreamedReply, StreamFailed, event_object
from dspex_native.lm._wire_input import Refused
from dspex_native.lm.providers import DEFAULT_BASES

#: LiteLLM's Ollama base when neither ``api_base`` nor ``OLLAMA_API_BASE`` is set
DEFAULT_BASE = "http://localhost:11434"
#: the base :mod:`.providers` resolves for Ollama (dspy's own engine's ``/v1``): no ``api_base`` was given
_OWN_DEFAULT_BASE = DEFAULT_BASES["ollama"]

#: LiteLLM's OpenAI parameters for Ollama, in the order it maps them, and their option names
_MAPPED = (("temperature", "temperature"), ("top_p", "top_p"), ("stop", "stop"), ("max_tokens", "num_predict"),
           ("max_completion_tokens", "num_predict"), ("frequency_penalty", "frequency_penalty"),
           ("response_format", "format"), ("seed", "seed"), ("reasoning_effort", "think"))
#: Ollama's model options (its API's ``options``), which LiteLLM passes on as given
OLLAMA_OPTIONS = frozenset({
    "num_keep", "num_predict", "top_k", "min_p", "typical_p", "repeat_last_n", "repeat_penalty", "penalize_newline",
    "numa", "num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "use_mlock", "num_thread", "mirostat",
    "mirostat_tau", "mirostat_eta", "tfs_z", "num_gqa", "low_vram", "f16_kv", "vocab_only", "system", "template"})
#: request keys of the call that are never sent (the client's own)
_NOT_SENT = frozenset({"num_generations", "rollout_id", "n"})
_THINK_ON = frozenset({"low", "medium", "high"})
_JSON_CODE_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*(?:```)?$", re.DOTALL)
#: whether the ``/api/generate`` request last written in this context asked for ``format: "json"``,
#: which changes how LiteLLM reads its reply: :meth:`OllamaWire.body` sets it, and :meth:`OllamaWire.parse`
#: of the same call (same thread, or same asyncio task) reads it
_JSON_REPLY: ContextVar[bool] = ContextVar("ollama_generate_json_reply", default=False)
#: LiteLLM's tests of a streamed ``/api/generate`` reply's start: a JSON object (held whole until the
#: last line), or what may still become one
_JSON_OBJECT_START = re.compile(r"(?:```(?:json)?\s*)?\{")
_JSON_OBJECT_PARTIAL_START = re.compile(r"`{0,3}|```(?:j|js|jso|json)?\s*")
_THINK_TAGS = re.compile(r"<(?:think|thinking|budget:thinking)>(.*?)</(?:think|thinking|budget:thinking)>(.*)",
                         re.DOTALL)


def _not_built(what: str) -> CapabilityError:
    return CapabilityError(f"the native LM client does not write {what} as LiteLLM writes it for Ollama "
                           f"(engine='litellm', or OLLAMA_API_BASE); use the dspy backend")


def split_thinking(text: str | None) -> tuple[str | None, str | None]:
    """``(reasoning, text)``: LiteLLM's ``parse_content_for_reasoning`` (a leading think block)."""
    if not text:
        return None, text
    found = _THINK_TAGS.match(text)
    return (found.group(1), found.group(2)) if found else (None, text)


def _usage(data: dict[str, Any], completion_default: int | None) -> dict[str, int] | None:
    prompt = data.get("prompt_eval_count")
    completion = data.get("eval_count", completion_default)
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class OllamaWire:
    """One of LiteLLM's two Ollama clients (``chat``: ``/api/chat``; else ``/api/generate``), with
    the interface of the ``wire_*`` modules (``shape``, ``body``, ``parse``, ``headers``, ``url``,
    ``base_url``, ``NAME``)."""

    NAME = "ollama"
    #: how a streamed reply is framed: one JSON object per line (not server-sent events)
    STREAM_FRAMING = "ndjson"

    def __init__(self, chat: bool):
        self.chat = chat
        self.route = "api/chat" if chat else "api/generate"
        #: the reader of a streamed reply of this endpoint
        self.StreamReader = ChatStreamReader if chat else GenerateStreamReader

    def __repr__(self) -> str:
        return f"OllamaWire({self.route!r})"

    @staticmethod
    def headers(api_key: str | None) -> dict[str, str]:
        key = api_key or os.environ.get("OLLAMA_API_KEY")
        return {"Authorization": f"Bearer {key}"} if key else {}

    @staticmethod
    def base_url(given: str, model_name: str = "") -> str:
        """The base LiteLLM posts under: ``api_base`` as given, else ``OLLAMA_API_BASE``, else
        :data:`DEFAULT_BASE` (for ``ollama_chat/`` too, whose own engine reads no variable).
        (An ``api_base`` of exactly dspy's own default, ``http://localhost:11434/v1``, reads as
        none given: LiteLLM would post under ``/v1/api/...``, which Ollama does not serve.)"""
        if given != _OWN_DEFAULT_BASE:
            return given
        return (os.environ.get("OLLAMA_API_BASE") or DEFAULT_BASE).rstrip("/")

    def url(self, base: str, model_name: str = "") -> str:
        """LiteLLM's ``ensure_api_route``: the route appended unless the base ends with it."""
        return base if base.endswith("/" + self.route) else f"{base}/{self.route}"

    def shape(self, request: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """``(the call's settings, one request)``: a key LiteLLM writes in a way not built here is a
        :class:`CapabilityError` (those it refuses were refused before, by :mod:`.litellm_rules`)."""
        mapped = {key for key, _ in _MAPPED}
        top = {"format", "think"} | ({"keep_alive"} if self.chat else set())
        for key in request:
            if key in ("tools", "tool_choice", "functions", "function_call"):
                raise _not_built("tools (function calling)")
            if key not in mapped and key not in OLLAMA_OPTIONS and key not in top and key not in _NOT_SENT \
                    and not (key == "keep_alive" and not self.chat):
                raise _not_built(repr(key))
        return {k: v for k, v in request.items() if k not in _NOT_SENT}, 1

    def _options(self, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(options, top-level fields)`` as LiteLLM maps the settings."""
        options: dict[str, Any] = {}
        top: dict[str, Any] = {}
        for key, field in _MAPPED:
            if key not in request:
                continue
            value = request[key]
            if key == "frequency_penalty" and self.chat:
                options["repeat_penalty"] = value
            elif key == "response_format":
                fmt = _format(value)
                if fmt is not None:
                    top["format"] = fmt
            elif key == "reasoning_effort":
                top["think"] = value if request["model"].startswith("gpt-oss") else value in _THINK_ON
            else:
                options[field] = value
        for key, value in request.items():  # Ollama's own settings, after LiteLLM's mapped ones, as given
            if key in ("format", "think") or (key == "keep_alive" and self.chat):
                top[key] = value
            elif key in OLLAMA_OPTIONS or key == "keep_alive":
                options[key] = value
        return options, top

    def body(self, request: dict[str, Any]) -> dict[str, Any]:
        """The ``/api/chat`` or ``/api/generate`` request LiteLLM writes for an OpenAI-style one."""
        options, top = self._options(request)
        if not self.chat:
            text, images = ollama_prompt.prompt(request["messages"])
            out = {"model": request["model"], "prompt": text, "options": options,
                   "stream": request.get("stream") is True}
            if "format" in top:
                out["format"] = top["format"]
            out["images"] = [_generate_image(url) for url in images]
            if "think" in top:
                out["think"] = top["think"]
            _JSON_REPLY.set(top.get("format") == "json")
            return out
        out = {"model": request["model"], "messages": [_chat_message(m) for m in request["messages"]],
               "options": options, "stream": request.get("stream") is True}
        for key in ("format", "keep_alive", "think"):
            if key in top:
                out[key] = top[key]
        return out

    def parse(self, data: Any) -> tuple[list[str], dict[str, int] | None]:
        """``([the completion's text], usage in the client's shape)``; ``KeyError``/``TypeError``
        when ``data`` is not the endpoint's reply."""
        if not isinstance(data, dict):
            raise TypeError("not an object")
        if not self.chat:
            response = data.get("response", "")
            if response is not None and not isinstance(response, str):
                raise TypeError("response is not a string")
            if _JSON_REPLY.get():  # LiteLLM's reading of a reply to format "json"
                rewritten = _json_rewritten(response) if response and response.strip() else ""
                if rewritten is not None:
                    return [rewritten], _usage(data, 0)
            thinking = data.get("thinking")
            reasoning, text = (thinking, response) if thinking else split_thinking(response)
            return [_with_reasoning(text or "", reasoning)], _usage(data, 0)
        message = data["message"]
        if not isinstance(message, dict):
            raise TypeError("message is not an object")
        if message.get("tool_calls"):
            raise Refused("the reply calls tools, which the native LM client does not read on LiteLLM's route for "
                          "Ollama (no tools were sent)")
        content = message.get("content")
        reasoning = message.get("thinking")
        if "thinking" not in message and content is not None:
            reasoning, content = split_thinking(content)
        return [_with_reasoning(content or "", reasoning)], _usage(data, None)


def _with_reasoning(text: str, reasoning: Any) -> Any:
    """The completion LiteLLM hands on: the text, or ``{"text", "reasoning_content"}`` with reasoning."""
    return {"text": text, "reasoning_content": str(reasoning)} if reasoning else text


def _line(data: str) -> dict[str, Any]:
    """One line of a streamed reply: its object, a :class:`StreamFailed` for an error line."""
    event = event_object(data)
    if "error" in event:
        raise StreamFailed(f"the server ended the stream with an error: {event['error']}")
    return event


def _stream_usage(event: dict[str, Any]) -> dict[str, int] | None:
    """The token counts of the last line (``"done": true``), as LiteLLM reads them; else ``None``."""
    return _usage(event, None) if event.get("done") is True else None


class ChatStreamReader(StreamedReply):
    """A streamed ``/api/chat`` reply as LiteLLM reads its lines: each line's ``message.content``,
    but for what LiteLLM takes as reasoning (a ``thinking`` field starts it and the next content
    ends it; a ``<think>`` tag starts it and ``</think>`` ends it, the tags taken out, each piece
    read on its own as LiteLLM reads it); the counts of the ``"done": true`` line, which ends the
    reply (a stream cut before it fails). A line that calls tools fails the call (no tools were sent)."""

    def __init__(self) -> None:
        super().__init__()
        self._reasoning = self._reasoned = False

    def read(self, data: str) -> list[str]:
        event = _line(data)
        message = event.get("message")
        if not isinstance(message, dict):
            raise StreamFailed(f"the stream sent a line without a message: {data[:200]!r}")
        if message.get("tool_calls"):
            raise StreamFailed("the reply calls tools, which the native LM client does not read on LiteLLM's route "
                               "for Ollama (no tools were sent)")
        if message.get("thinking"):
            self._reasoning = True
            self.reasoning.append(str(message["thinking"]))
        content = message.get("content")
        texts: list[str] = []
        if content and isinstance(content, str):
            if self._reasoning and not self._reasoned:
                self._reasoned = True
            if "<think>" in content:
                content = content.replace("<think>", "")
                self._reasoning = True
            if "</think>" in content and self._reasoning:
                content = content.replace("</think>", "")
                self._reasoned = True
            if not self._reasoning or self._reasoned:
                texts = self.text(0, content)
            else:
                self.reasoning.append(content)
        if event.get("done") is True:
            self.usage = _stream_usage(event)
            self.ended = True
        return texts


class GenerateStreamReader(StreamedReply):
    """A streamed ``/api/generate`` reply as LiteLLM reads its lines: each line's ``response``, but
    for what LiteLLM takes as reasoning (after a ``<think>`` tag until a ``</think>``, the tags taken
    out; a line with ``thinking`` and no response); a reply that opens as a JSON object (in a code
    fence or not) is held whole and given out with the ``"done": true`` line (a ``{"name",
    "arguments"}`` object, which LiteLLM reads as a tool call, fails the call), as are the counts;
    that line ends the reply (a stream cut before it fails)."""

    def __init__(self) -> None:
        super().__init__()
        self._reasoning = self._reasoned = False
        self._held = ""
        self._holding = self._released = False

    def read(self, data: str) -> list[str]:
        event = _line(data)
        if event.get("done") is True:
            self.usage = _stream_usage(event)
            self.ended = True
            held, self._held = self._held, ""
            if held:
                _check_not_a_call(held)
            return self.text(0, held)
        if "response" not in event:
            raise StreamFailed(f"the stream sent a line without a response: {data[:200]!r}")
        text = event["response"]
        if not text or not isinstance(text, str):
            if "thinking" in event and isinstance(event.get("thinking"), str):
                self.reasoning.append(event["thinking"])
            return []
        if "<think>" in text:
            text = text.replace("<think>", "")
            self._reasoning = True
        elif "</think>" in text:
            text = text.replace("</think>", "")
            self._reasoned = True
        if self._reasoning and not self._reasoned:
            self.reasoning.append(text)
            return []
        released = self._hold(text)
        return self.text(0, released) if released is not None else []

    def _hold(self, text: str) -> str | None:
        """LiteLLM's ``_hold_json_object_start``: the text to give out now, or ``None`` (held)."""
        if self._released:
            return text
        self._held += text
        if self._holding:
            return None
        start = self._held.lstrip()
        if _JSON_OBJECT_START.match(start):
            self._holding = True
            return None
        if _JSON_OBJECT_PARTIAL_START.fullmatch(start):
            return None
        self._released = True
        released, self._held = self._held, ""
        return released


def _check_not_a_call(held: str) -> None:
    """A held JSON reply that is a ``{"name", "arguments"}`` object is a tool call to LiteLLM."""
    fenced = _JSON_CODE_FENCE.match(held.strip())
    try:
        value = json.loads(fenced.group(1) if fenced else held)
    except ValueError:
        return
    if isinstance(value, dict) and "name" in value and "arguments" in value:
        raise StreamFailed("the JSON reply is a {'name', 'arguments'} object, which LiteLLM reads as a tool call "
                           "(not read natively on LiteLLM's route for Ollama)")


def _json_rewritten(text: str) -> str | None:
    """A JSON reply of ``/api/generate`` as LiteLLM rewrites it (``json.dumps`` of the value, a code
    fence taken off), or ``None`` when it is not JSON (read as text)."""
    fenced = _JSON_CODE_FENCE.match(text.strip())
    try:
        value = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return None
    if isinstance(value, dict) and "name" in value and "arguments" in value:
        raise Refused("the JSON reply is a {'name', 'arguments'} object, which LiteLLM reads as a tool call "
                      "(not read natively on LiteLLM's route for Ollama)")
    return json.dumps(value)


def _format(value: Any) -> Any:
    """``format`` for a ``response_format`` (``None``: LiteLLM sends none)."""
    if not isinstance(value, dict):
        raise _not_built(f"a response_format of type {type(value).__name__}")
    if value.get("type") == "json_object":
        return "json"
    if value.get("type") == "json_schema" and value.get("json_schema") and value["json_schema"].get("schema"):
        return value["json_schema"]["schema"]
    return None


def _generate_image(url: str) -> str:
    """An image of ``/api/generate`` as LiteLLM sends it: a data URL's base64 payload (a PNG or JPEG;
    other formats it re-encodes as JPEG with Pillow, not done here), anything else as given; an
    http(s) URL, which LiteLLM downloads, is not fetched natively."""
    if url.startswith("http"):
        raise _not_built("an image by URL on ollama/ models (LiteLLM downloads it; pass the image's data, or "
                         "use ollama_chat/, which sends the URL)")
    if url.startswith("data:image/"):
        try:
            url = url.split("data:image/")[1].split(";base64,")[1]
        except IndexError:
            raise InputError("an image data URL must be data:image/<format>;base64,<data>") from None
    payload = url.split(",")[-1] if url.startswith("data:") else url
    try:
        raw = base64.b64decode(payload)
    except ValueError:
        return url
    if raw.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return payload
    raise _not_built("an image other than PNG or JPEG on ollama/ models (LiteLLM re-encodes it as JPEG)")


def _base64_of(url: str) -> str:
    """LiteLLM's ``_extract_base64_data``: a data URL's base64 part, any other URL as it is."""
    return url.split(";base64,", 1)[1] if url.startswith("data:") and ";base64," in url else url


def _chat_message(message: dict[str, Any]) -> dict[str, Any]:
    """One message as LiteLLM writes it for ``/api/chat``: ``role``, ``thinking`` (a leading think
    block of string content), ``content`` (text parts run together), ``images`` (each image part's
    URL, a data URL's base64 part alone)."""
    extra = set(message) - {"role", "content"}
    if extra:
        raise _not_built(f"message keys {sorted(extra)} (tool calls, tool results, reasoning)")
    content = message.get("content")
    out: dict[str, Any] = {"role": message.get("role")}
    images = []
    if isinstance(content, str):
        thinking = split_thinking(content)[0]
        if thinking is not None:
            out["thinking"] = thinking
        out["content"] = content
    elif isinstance(content, list):
        out["content"] = "".join(str(p["text"]) for p in content if isinstance(p, dict) and p.get("text"))
        for part in content:
            image = part.get("image_url") if isinstance(part, dict) else None
            if isinstance(image, str) and image:
                images.append(_base64_of(image))
            elif isinstance(image, dict) and image and "url" in image:
                images.append(_base64_of(image["url"]))
    else:
        out["content"] = ""
    out["images"] = images
    return out


#: LiteLLM's two Ollama clients: ``ollama_chat/`` and ``ollama/``
CHAT = OllamaWire(chat=True)
GENERATE = OllamaWire(chat=False)
