"""Google's Gemini API (GenerateContent) as dspy 3.4 sends it through LiteLLM (``engine="litellm"``,
or a setting that sends dspy LiteLLM's way under ``"auto"``).

LiteLLM's Gemini client posts to ``{api_base}/models/{model}:generateContent`` (``api_base=``, else
``GEMINI_API_BASE``, else
``https://generativelanguage.googleapis.com/v1beta``, ``/v1alpha`` for Gemini 3 and newer) with the
key in ``x-goog-api-key``, and writes a body of its own, not lm15's:

* ``contents``: each run of consecutive user (and, for a model its map does not say takes system
  messages, system) messages is one ``user`` turn, each message one ``{"text": ...}`` part; each run
  of assistant messages one ``model`` turn;
* ``system_instruction`` (snake case): the system messages' texts as parts, only for the models
  LiteLLM's map marks ``supports_system_messages`` (``engine_routes.json``'s
  ``gemini_system_messages``); a model it does not know gets its system message folded into the
  first user turn;
* ``generationConfig`` when a setting is given, with LiteLLM's snake-case names in its order:
  ``temperature``, ``top_p``, ``candidate_count`` (``n``: one request for all completions),
  ``stop_sequences`` (a string as a one-item list), ``max_output_tokens`` (``max_tokens`` or
  ``max_completion_tokens``), ``presence_penalty``, ``frequency_penalty`` (both left out for
  Gemini 3 and newer, LiteLLM's name rule), ``seed``, ``top_k``.

Settings LiteLLM refuses for the model (``temperature``/``top_p`` for the models without sampling
settings, ...) are refused before sending by :mod:`.litellm_rules`, ``top_k`` for those models here;
other settings it rewrites (``response_format`` as a response schema, tools, reasoning, ...) and
message parts other than text are a :class:`~dspex_core.CapabilityError`. The reply: one completion
per candidate, its text parts joined (the first's thoughts its reasoning); usage as LiteLLM counts it
(:func:`litellm_usage`).
A streamed call goes to ``:streamGenerateContent?alt=sse`` with the same body (:class:`StreamReader`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from dspex_core.errors import CapabilityError, ConfigError

from dspex_native.lm import _wire_usage, wire_gemini
from dspex_native.lm._stream_reply import StreamedReply, StreamFailed, event_object
from dspex_native.lm.engine import tables

NAME = "gemini"
#: LiteLLM's base for Gemini 3 and newer (``wire_gemini.DEFAULT_BASE``, ``/v1beta``, for the others)
V1ALPHA_BASE = "https://generativelanguage.googleapis.com/v1alpha"

#: OpenAI-style setting -> generationConfig field, in LiteLLM's order (``top_k``, a setting of its
#: own for Gemini, last)
_CONFIG_FIELDS = (("temperature", "temperature"), ("top_p", "top_p"), ("n", "candidate_count"),
                  ("stop", "stop_sequences"), ("max_tokens", "max_output_tokens"),
                  ("max_completion_tokens", "max_output_tokens"), ("presence_penalty", "presence_penalty"),
                  ("frequency_penalty", "frequency_penalty"), ("seed", "seed"), ("top_k", "top_k"))
_SETTINGS = frozenset(key for key, _ in _CONFIG_FIELDS)
#: LiteLLM's names for the models before Gemini 3 (its ``_is_gemini_3_or_newer``, negated)
_BEFORE_3 = re.compile(r"^gemini-(?:[12](?:\.\d+)?|exp|(?:pro|flash)(?!-(?:lite-)?latest$))(?:-|$)")
#: the model LiteLLM takes no penalties for besides Gemini 3 and newer (its ``_supports_penalty_parameters``)
_NO_PENALTIES = frozenset({"gemini-2.5-pro-preview-06-05"})

#: LiteLLM's default output budget for Gemini requests without a limit (not written natively)
_BUDGET_ENV = "LITELLM_GEMINI_DEFAULT_MAX_OUTPUT_TOKENS"

headers = wire_gemini.headers
stream_url = wire_gemini.stream_url


def is_gemini_3_or_newer(model_name: str) -> bool:
    """LiteLLM's rule by the name it is given (without ``gemini/``): anything but a tuned model's
    number, Gemma, and Gemini 1/2, pro/flash or exp (a name it does not know counts as newer)."""
    name = model_name.split("/")[-1].lower()
    if not name or name.isdigit() or name.startswith("gemma-"):
        return False
    return _BEFORE_3.match(name) is None


def takes_system_messages(model_name: str) -> bool:
    """LiteLLM's ``supports_system_messages`` for ``gemini/<model_name>``: its map's answer for a
    model it knows, else its map's generalization rules' (the last whose pattern matches), else no."""
    rules = tables()["litellm_rules"]
    if model_name in rules["gemini_system_messages"]:
        return True
    if model_name in rules["gemini_no_system_messages"]:
        return False
    found = False
    for pattern, value in rules["gemini_system_message_rules"]:
        if re.search(pattern, model_name, re.IGNORECASE):
            found = value
    return found


def base_url(given: str, model_name: str) -> str:
    """The base :func:`url` appends ``/models/{model}:generateContent`` to: an ``api_base`` as given,
    else ``GEMINI_API_BASE`` (which LiteLLM reads, and which sends dspy its way under ``"auto"``),
    else LiteLLM's default, whose version is ``v1alpha`` for Gemini 3 and newer."""
    if given != wire_gemini.DEFAULT_BASE:
        return given
    from_env = os.getenv("GEMINI_API_BASE")
    if from_env:
        return from_env.rstrip("/")
    return V1ALPHA_BASE if is_gemini_3_or_newer(model_name) else given


def url(base: str, model_name: str) -> str:
    return f"{base}/models/{model_name}:generateContent"


def shape(request: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """``(the call's settings, one request)`` (``n`` is sent as ``candidate_count``); a setting LiteLLM
    rewrites in a way not built here is a :class:`CapabilityError` (those it refuses were refused
    before, by :mod:`.litellm_rules`)."""
    for key, value in request.items():
        if key not in _SETTINGS and key not in ("num_generations", "rollout_id") and value is not None:
            raise CapabilityError(f"the native LM client does not write {key!r} as LiteLLM writes it for Gemini "
                                  f"(engine='litellm'); use the dspy backend, or dspy's own engine")
    if os.getenv(_BUDGET_ENV) and request.get("max_tokens") is None and request.get("max_completion_tokens") is None:
        raise CapabilityError(f"{_BUDGET_ENV} is set: LiteLLM then adds a default max_output_tokens to Gemini "
                              f"requests (by its model map), which the native LM client does not write; set "
                              f"max_tokens, unset the variable, or use the dspy backend")
    return {k: v for k, v in request.items() if k in _SETTINGS and v is not None}, 1


def _texts(role: str, content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    if content is None:
        return []
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return [{"text": p["text"]} for p in content if p.get("text")]
    raise CapabilityError(f"the native LM client does not write {role} message parts other than text as LiteLLM "
                          f"writes them for Gemini (engine='litellm'); use the dspy backend")


def _system_text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text") or "" for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def body(request: dict[str, Any]) -> dict[str, Any]:
    """The GenerateContent request LiteLLM writes for an OpenAI-style one."""
    model_name = request["model"]
    messages = request["messages"]
    system: list[dict[str, Any]] = []
    if takes_system_messages(model_name):
        system = [{"text": _system_text(m.get("content"))} for m in messages if m.get("role") == "system"]
        messages = [m for m in messages if m.get("role") != "system"]
        if system and not messages:
            raise CapabilityError("the native LM client does not write a request of system messages only as LiteLLM "
                                  "writes it for Gemini (engine='litellm'); use the dspy backend")
    contents: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role not in ("system", "user", "assistant"):
            raise CapabilityError(f"the native LM client does not write a {role!r} message as LiteLLM writes it for "
                                  f"Gemini (engine='litellm'); use the dspy backend")
        if role == "assistant" and not isinstance(message.get("content"), str):
            raise CapabilityError("the native LM client writes assistant messages of text only as LiteLLM writes "
                                  "them for Gemini (engine='litellm'); use the dspy backend")
        turn = "model" if role == "assistant" else "user"
        parts = _texts(role, message.get("content"))
        if contents and contents[-1]["role"] == turn:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": turn, "parts": parts})
    for turn in contents:
        if turn["role"] == "user" and not any("text" in p for p in turn["parts"]):
            turn["parts"].append({"text": " "})
    contents = [turn for turn in contents if turn["parts"]]
    out: dict[str, Any] = {"contents": contents}
    if system:
        out["system_instruction"] = {"parts": system}
    config = _config(model_name, request)
    if config:
        out["generationConfig"] = config
    return out


def _config(model_name: str, request: dict[str, Any]) -> dict[str, Any]:
    rules = tables()["litellm_rules"]
    penalties = not is_gemini_3_or_newer(model_name) and model_name not in _NO_PENALTIES
    config: dict[str, Any] = {}
    for key, field in _CONFIG_FIELDS:
        if key not in request:
            continue
        value = request[key]
        if key == "stop":
            if isinstance(value, str):
                config[field] = [value]
            elif isinstance(value, list):
                config[field] = value
        elif key in ("presence_penalty", "frequency_penalty"):
            if penalties:
                config[field] = value
        elif key == "top_k" and model_name in rules["gemini_without_sampling"]:
            raise ConfigError(f"LiteLLM refuses top_k={value!r} for gemini/{model_name} (engine='litellm'): the "
                              f"model takes no sampling settings, and dspy fails the same way before sending; "
                              f"leave the setting out")
        else:
            config[field] = value
    return config


def parse(data: Any) -> tuple[list[str], dict[str, int] | None]:
    """``([each candidate's text], usage in the client's shape)``; ``Refused`` for a blocked answer,
    ``KeyError``/``TypeError`` when ``data`` is not a GenerateContent response."""
    if not isinstance(data, dict):
        raise TypeError("not an object")
    first, _ = wire_gemini.parse(data)  # (a blocked prompt or first candidate: Refused, as there)
    usage = litellm_usage(data.get("usageMetadata"))
    texts = [first[0]]
    for candidate in (data.get("candidates") or [])[1:]:
        content = candidate.get("content") if isinstance(candidate, dict) else None
        parts = content.get("parts") or [] if isinstance(content, dict) else []
        texts.append("".join(str(p.get("text") or "") for p in parts
                             if isinstance(p, dict) and "text" in p and not p.get("thought")))
    return texts, usage


def litellm_usage(metadata: Any) -> dict[str, Any] | None:
    """LiteLLM's token counts for a ``usageMetadata`` (its Gemini ``_calculate_usage``), or ``None``
    without one: the prompt count with the tool-use prompt tokens; the completion count (the
    candidates', or the response's) with the thoughts unless the candidates count already holds
    them (prompt, candidates and tool-use counts sum to the total); the total as reported (0 when
    absent, as LiteLLM reports it); cached and thought tokens as details. (dspy's own engine adds
    the thoughts always: :func:`.wire_gemini.usage_of`.)"""
    if not isinstance(metadata, dict):
        return None
    count = _wire_usage.count
    prompt = (count(metadata.get("promptTokenCount")) or 0) + (count(metadata.get("toolUsePromptTokenCount")) or 0)
    candidates = count(metadata.get("candidatesTokenCount")) or 0
    thoughts = count(metadata.get("thoughtsTokenCount"))
    total = count(metadata.get("totalTokenCount")) or 0
    completion = count(metadata.get("responseTokenCount")) or candidates
    if thoughts and prompt + candidates != total:
        completion += thoughts
    out: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
    cached = count(metadata.get("cachedContentTokenCount"))
    if cached is not None:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    if thoughts is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": thoughts}
    return out


class StreamReader(StreamedReply):
    """A streamed GenerateContent reply (``alt=sse``) as LiteLLM reads its events: each
    candidate's text parts (the first's thoughts kept as its reasoning) in the order they come, the first candidate's
    handed on and the others' kept for their completions (``n``: ``candidate_count``); the usage of
    the events with ``usageMetadata`` folded as LiteLLM folds a stream's
    (:class:`._wire_usage.StreamedCounts`); the stream may end without a ``finishReason``, and a
    blocked prompt or candidate is no text (dspy then finds an empty reply); an ``error`` event
    fails the call."""

    def __init__(self) -> None:
        super().__init__()
        self.ended = True
        self._counts = _wire_usage.StreamedCounts()
        #: the text of the other candidates, by index
        self.others: dict[int, list[str]] = {}

    def read(self, data: str) -> list[str]:
        event = event_object(data)
        if "error" in event:
            error = event["error"] if isinstance(event["error"], dict) else {}
            raise StreamFailed(f"the server ended the stream with an error: {error.get('message') or event['error']}")
        texts: list[str] = []
        for position, candidate in enumerate(event.get("candidates") or ()):
            if not isinstance(candidate, dict):
                continue
            index = candidate.get("index", position)
            content = candidate.get("content") if isinstance(candidate.get("content"), dict) else {}
            for part in content.get("parts") or ():
                if isinstance(part, dict) and "text" in part and part.get("thought"):
                    if index == 0:
                        self.reasoning.append(str(part.get("text") or ""))
                elif isinstance(part, dict) and "text" in part:
                    piece = str(part.get("text") or "")
                    if index == 0:
                        texts += self.text(0, piece)
                    elif isinstance(index, int) and index > 0:
                        self.others.setdefault(index, []).append(piece)
        if isinstance(event.get("usageMetadata"), dict):
            self._counts.add(litellm_usage(event["usageMetadata"]))
            self.usage = self._counts.usage
        return texts

    def completions(self, found: dict[str, Any] | None) -> list[str]:
        """The first candidate's completion, then each other candidate's text, by index."""
        last = max(self.others, default=0)
        return [self.completion(found), *("".join(self.others.get(i, ())) for i in range(1, last + 1))]
