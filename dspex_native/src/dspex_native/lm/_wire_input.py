"""What dspy 3.4's own engine (lm15) reads from an OpenAI-style call before it writes the request
in a provider's own wire format (Anthropic's Messages, Gemini's GenerateContent).

``dspy.LM`` hands every call to lm15 as a Chat Completions body; lm15 reads it into its canonical
request (``request_from_openai_chat``): the first message, when ``system``/``developer``, is the
system prompt and any later one a developer turn; the settings become typed fields (a token limit
from ``max_tokens`` or ``max_completion_tokens``, a ``stop`` string as a one-item list, floats for
temperature/top_p/penalties, ints for the token limit, ``top_k`` and ``seed``). The wire modules
(:mod:`.wire_anthropic`, :mod:`.wire_gemini`) write that into their body. What is read here is
what the native wires write (a ``response_format`` schema, its "judgments" written per wire as lm15
writes them: :mod:`._judgments`; function tools and the tool choice);
any other key lm15 carries (reasoning, logprobs, ...)
or a message part other than text and a user's media is a :class:`~dspex_core.CapabilityError`
naming it, so the router can send the call to the dspy backend.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from dspex_core.errors import CapabilityError, InputError

from dspex_native.lm.engine import tables

#: The wires whose tools native writes
TOOL_WIRES = frozenset({"anthropic", "gemini"})
_TOOL_KEYS = ("tools", "tool_choice", "parallel_tool_calls")
#: Settings the wires write, under lm15's canonical names.
_FLOATS = ("temperature", "top_p", "frequency_penalty", "presence_penalty")
_INTS = ("top_k", "seed")
_TOKENS = ("max_tokens", "max_completion_tokens")


class Refused(ValueError):
    """A provider answered 200 but refused (Gemini's blocked prompt or candidate): an error, not
    a reply, and not retried, as in lm15."""


def _not_built(provider: str, what: str) -> CapabilityError:
    return CapabilityError(
        f"the native LM client does not write {what} in {provider}'s wire format yet; "
        f"use the dspy backend for it")


def _number(name: str, value: Any, kind: type) -> Any:
    """lm15's number rule: one wire form per field (an int as a float field is a float, an
    integral float as an int field is an int); a bool or a non-number is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{name} must be {'an int' if kind is int else 'a number'}, got {value!r}")
    if kind is float:
        return float(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise InputError(f"{name} must be an int, got {value!r}")
        return int(value)
    return value


def shape(provider: str, request: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``(the call's settings as lm15 reads them, how many requests)``: lm15 asks for one
    completion per request, so ``n`` is the number of requests."""
    n = request.get("n", 1)
    dropped = tables()["_dropped"]
    out: dict[str, Any] = {}
    tokens = None
    for key, value in request.items():
        if key in _TOKENS:
            value = _number(key, value, int)
            if tokens is not None and tokens != value:
                raise InputError(f"max_tokens and max_completion_tokens disagree ({tokens!r}, {value!r})")
            if value <= 0:
                raise InputError(f"{key} must be positive, got {value!r}")
            tokens = value
        elif key in _FLOATS:
            out[key] = _number(key, value, float)
        elif key in _INTS:
            out[key] = _number(key, value, int)
        elif key == "stop":
            stop = (value,) if isinstance(value, str) else tuple(value or ())
            if any(not isinstance(s, str) or not s for s in stop):
                raise InputError(f"stop must be a string or a list of non-empty strings, got {value!r}")
            if stop:
                out["stop"] = list(stop)
        elif key == "response_format":
            fmt = response_format(provider, value)
            if fmt is not None:
                out[key] = fmt
        elif key in _TOOL_KEYS and provider in TOOL_WIRES:
            if key == "tools":
                from dspex_native.lm.engine import _tools

                if value:
                    out[key] = _tools(value)
            elif value is not None:
                out[key] = value
        elif key in dropped:
            continue
        else:
            raise _not_built(provider, f"the request setting {key!r}")
    temperature, top_p = out.get("temperature"), out.get("top_p")
    if temperature is not None and not 0 <= temperature <= 2:
        raise InputError(f"temperature must be in [0, 2], got {temperature!r}")
    if top_p is not None and not 0 <= top_p <= 1:
        raise InputError(f"top_p must be in [0, 1], got {top_p!r}")
    if out.get("top_k") is not None and out["top_k"] <= 0:
        raise InputError(f"top_k must be positive, got {out['top_k']!r}")
    if tokens is not None:
        out["max_tokens"] = tokens
    if "tool_choice" in out or "parallel_tool_calls" in out:
        tool_choice(provider, out)  # checked now: refused before anything is sent
    return out, n


def tool_choice(provider: str, settings: dict[str, Any]) -> tuple[str, tuple[str, ...], Any] | None:
    """lm15's ``ToolChoice`` of the settings' ``tool_choice`` / ``parallel_tool_calls``:
    ``(mode, allowed names, parallel)`` or ``None``; one lm15 would not take (dspy sends the call
    LiteLLM's way, whose tool requests for the provider are not built) is a CapabilityError."""
    from dspex_native.lm.engine_tool_choice import NotTaken, read

    try:
        choice = read(settings.get("tool_choice"), settings.get("parallel_tool_calls"))
    except NotTaken as exc:
        raise _not_built(provider, f"this tool_choice ({exc}; dspy sends it through LiteLLM)") from None
    if choice is not None and choice[1]:
        known = {t["function"]["name"] for t in settings.get("tools") or ()}
        missing = [name for name in choice[1] if name not in known]
        if missing:
            raise _not_built(provider, f"a tool_choice naming {missing[0]!r}, which is not among the request's tools")
    return choice


def response_format(provider: str, value: Any) -> dict[str, Any] | None:
    """lm15's canonical response format from OpenAI's: ``None`` for ``text``, ``{"type":
    "json_object"}``, or ``{"type": "json_schema", "schema": ..., "name"?, "strict"?}``."""
    if not isinstance(value, dict) or value.get("type") not in ("text", "json_object", "json_schema"):
        raise InputError(f"response_format must be a dict with type text, json_object or json_schema, got {value!r}")
    kind = value["type"]
    if kind != "json_schema":
        if set(value) != {"type"}:
            raise _not_built(provider, f"response_format keys {sorted(set(value) - {'type'})}")
        return None if kind == "text" else {"type": "json_object"}
    inner = value.get("json_schema")
    if set(value) != {"type", "json_schema"} or not isinstance(inner, dict) or \
            set(inner) - {"name", "schema", "strict"} or not isinstance(inner.get("schema"), dict):
        raise _not_built(provider, "a response_format json_schema other than {name, schema, strict}")
    schema = inner["schema"]
    out: dict[str, Any] = {"type": "json_schema", "schema": schema}
    if inner.get("name") not in (None, "response"):
        out["name"] = inner["name"]
    if inner.get("strict") is not None:
        out["strict"] = inner["strict"]
    return out


class Media(NamedTuple):
    """A user's media part as lm15 reads an OpenAI-style block (``request_from_openai_chat``):
    ``kind`` ``image`` (an ``image_url`` block: a data URI is inline base64 ``data`` with the URI's
    media type, any other URL stays a ``url``, its media type guessed from the path, else
    ``image/png``), ``document`` (a ``file`` block: a data URI's ``data``, or a ``file_id``, media
    type ``application/pdf`` unless the URI names one) or ``audio`` (an ``input_audio`` block:
    ``wav`` or ``mp3`` data)."""

    kind: str
    url: str | None = None
    data: str | None = None
    file_id: str | None = None
    media_type: str = "image/png"


#: lm15's media types of the audio formats it reads
_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}


def _data_uri(provider: str, value: str, where: str) -> tuple[str, str]:
    """``(media type, base64 payload)`` of ``data:<type>;base64,<payload>``."""
    head, sep, payload = value[5:].partition(",") if value.startswith("data:") else ("", "", "")
    media_type = head[:-len(";base64")] if head.endswith(";base64") else ""
    if not sep or not payload or not media_type:
        raise _not_built(provider, f"{where} (a data URI that is not data:<media-type>;base64,<data>)")
    return media_type, payload


def _spec(provider: str, block: dict[str, Any], key: str, keys: set[str], where: str) -> dict[str, Any]:
    spec = block.get(key)
    if set(block) - {"type", key} or not isinstance(spec, dict) or set(spec) - keys:
        raise _not_built(provider, f"{where} (a {key} block other than {sorted(keys)})")
    return spec


def _media(provider: str, block: dict[str, Any], where: str) -> Media:
    kind = block.get("type")
    if kind == "image_url":
        url = _spec(provider, block, "image_url", {"url", "detail"}, where).get("url")
        if not isinstance(url, str):
            raise _not_built(provider, f"{where} (an image_url without a url)")
        if url.startswith("data:"):
            media_type, payload = _data_uri(provider, url, where)
            return Media("image", data=payload, media_type=media_type)
        import mimetypes

        guessed = mimetypes.guess_type(url)[0]
        return Media("image", url=url, media_type=guessed if guessed and guessed.startswith("image/") else "image/png")
    if kind == "file":  # a filename sends dspy's call LiteLLM's way (lm15 has no slot for it)
        spec = _spec(provider, block, "file", {"file_data", "file_id"}, where)
        if isinstance(spec.get("file_data"), str) and spec.get("file_id") is None:
            media_type, payload = _data_uri(provider, spec["file_data"], where)
            return Media("document", data=payload, media_type=media_type)
        if isinstance(spec.get("file_id"), str) and spec.get("file_data") is None:
            return Media("document", file_id=spec["file_id"], media_type="application/pdf")
        raise _not_built(provider, f"{where} (a file block with other than one file_data or file_id)")
    spec = _spec(provider, block, "input_audio", {"data", "format"}, where)
    if spec.get("format") not in _AUDIO_TYPES or not isinstance(spec.get("data"), str):
        raise _not_built(provider, f"{where} (audio other than wav or mp3 data)")
    return Media("audio", data=spec["data"], media_type=_AUDIO_TYPES[spec["format"]])


_MEDIA_BLOCKS = ("image_url", "file", "input_audio")


def _parts(provider: str, content: Any, where: str, role: Any) -> list[str | Media]:
    """A message's parts: its text (a string, or ``{"type": "text", "text": ...}`` blocks) and, in a
    user message, its media blocks (:class:`Media`), in order."""
    if isinstance(content, str):
        return [content]
    parts: list[str | Media] = []
    for index, block in enumerate(content if isinstance(content, list) else ()):
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str) \
                and set(block) <= {"type", "text"}:
            parts.append(block["text"])
        elif isinstance(block, dict) and block.get("type") in _MEDIA_BLOCKS and role == "user":
            parts.append(_media(provider, block, f"{where}.content[{index}]"))
        else:
            parts = []
            break
    if parts:
        return parts
    raise _not_built(provider, f"{where}'s content (parts other than text and a user's images, files and audio: "
                               f"cache marks, a system message's media, ...)")


def _texts_only(provider: str, parts: list[str | Media], where: str) -> list[str]:
    if any(isinstance(part, Media) for part in parts):
        raise _not_built(provider, f"{where}'s images, files or audio (a system or developer message's)")
    return parts  # type: ignore[return-value]


def split_messages(provider: str,
                   messages: list[dict[str, Any]]) -> tuple[str | None, list[tuple[str, list[str | Media]]]]:
    """``(system prompt or None, [(role, parts), ...])`` with role ``user``, ``assistant`` or
    ``developer`` (a system/developer message after the first, its parts texts only), as lm15 reads
    OpenAI-style rows; a part is a text or an :class:`Media`."""
    system = None
    turns: list[tuple[str, list[str | Media]]] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InputError(f"{where} must be a dict with 'role' and 'content', got {type(message).__name__}")
        role = message.get("role")
        if role not in ("system", "developer", "user", "assistant") or set(message) - {"role", "content"}:
            raise _not_built(provider, f"{where} (role {role!r}, keys {sorted(message)}; only role and content)")
        parts = _parts(provider, message.get("content"), where, role)
        if role in ("system", "developer"):
            texts = _texts_only(provider, parts, where)
            if index == 0:
                system = "\n".join(texts)  # (one part is its text; several join as lm15's text rendering)
            else:
                turns.append(("developer", texts))
        else:
            turns.append((role, parts))
    return system, turns
