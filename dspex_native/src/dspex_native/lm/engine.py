"""Which of dspy 3.4's two routes an LM's requests follow, and how its own engine writes them.

``dspy.LM(model)`` sends through its own engine, lm15, by default (``engine="auto"``) wherever
lm15 can carry the request, and through LiteLLM otherwise or with ``engine="litellm"``. The
two routes send different requests for the same call:

* lm15 asks for one completion per request: ``n=3`` is three requests without ``n``, each with
  its own retries, their completions in order; LiteLLM sends one request with ``n``;
* lm15 writes the token limit in the field its door for the provider takes
  (``max_completion_tokens`` for OpenAI, ``max_tokens`` for vLLM, Ollama, Groq, ...), a ``stop``
  string as a one-item list, drops ``top_k``, and for DeepSeek gives each assistant message an
  empty ``reasoning_content``; LiteLLM sends ``max_tokens`` and the messages as they are.

The native client follows the same rule (the LM setting ``engine``, default ``"auto"``):
:func:`route` decides once per client what dspy's ``select_backend`` decides (a provider lm15
serves, no client setting only LiteLLM carries, no ``<PREFIX>_API_BASE`` in the environment
under ``"auto"``), and :meth:`Route.shape` writes each call's body as lm15 would, or says that
lm15 would not take it (a body key it has no verdict for), which under ``"auto"`` sends that
call LiteLLM's way, as in dspy (``tools``, ``tool_choice`` and ``parallel_tool_calls`` are written as
lm15 writes them: :mod:`.engine_tool_choice`). Keys lm15 rewrites in ways not built here (reasoning and
prompt-cache settings, the end-user field) are a :class:`~dspex_core.CapabilityError` naming
the key: the dspy backend, or ``engine="litellm"``, serves them.

The tables (lm15's doors, the client settings and body keys it takes) are read from
``engine_routes.json``, extracted from dspy 3.4.1 by ``tools/dspy_tables.py``; a parity test
checks them against dspy.
"""

from __future__ import annotations

import json
import os
from importlib.resources import files
from typing import Any

from dspex_core.backend import LM
from dspex_core.errors import CapabilityError, ConfigError

#: Body keys lm15's door for OpenAI-compatible servers sends as they are.
_VERBATIM = frozenset({"temperature", "top_p", "seed", "frequency_penalty", "presence_penalty", "response_format",
                       "service_tier", "store", "logit_bias", "metadata", "verbosity", "prediction"})
_TOKENS = ("max_tokens", "max_completion_tokens")
#: The body keys the rules below handle; ``model`` and ``messages`` are the client's own.
_SHAPED = frozenset({"model", "messages", "stop", "top_k", "logprobs", "top_logprobs", *_TOKENS})

_tables: dict[str, Any] | None = None

#: lm15's doors that speak a wire format of their own (the Messages API, GenerateContent): the
#: native client writes their requests with :mod:`.wire_anthropic` / :mod:`.wire_gemini` on dspy's
#: own engine's route, and as LiteLLM's clients write them with :mod:`.wire_anthropic_litellm` /
#: :mod:`.wire_gemini_litellm` on LiteLLM's. (Ollama's requests on LiteLLM's route, to its own API
#: where lm15 speaks its OpenAI-compatible ``/v1``, are :mod:`.wire_ollama_litellm`'s.)
OWN_WIRES = frozenset({"anthropic", "gemini"})

def tables() -> dict[str, Any]:
    """``engine_routes.json``, read once."""
    global _tables
    if _tables is None:
        _tables = json.loads(files("dspex_native.lm").joinpath("engine_routes.json").read_text(encoding="utf-8"))
        ingest = _tables["ingest"]
        _tables["_known"] = frozenset(ingest["config"]) | frozenset(ingest["extensions"]) | \
            frozenset(ingest["call_mode"])
        _tables["_dropped"] = frozenset(_tables["dropped"])
    return _tables


class Route:
    """Where an LM's requests go: ``own`` (dspy's own engine, lm15, one request per completion,
    the token limit in ``max_tokens_field``) or LiteLLM's (``own`` false: the body as is)."""

    __slots__ = ("engine", "own", "provider", "max_tokens_field", "reasoning_content", "why_not_own")

    def __init__(self, engine: str, own: bool, provider: str | None = None, max_tokens_field: str = "max_tokens",
                 reasoning_content: bool = False, why_not_own: str | None = None):
        self.engine = engine
        self.own = own
        self.provider = provider
        self.max_tokens_field = max_tokens_field
        #: the door replays an assistant message's (empty) reasoning as ``"reasoning_content": ""``
        self.reasoning_content = reasoning_content
        self.why_not_own = why_not_own

    def messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The messages as this route writes them (new dicts where they change)."""
        if not self.reasoning_content:
            return messages
        return [{**m, "reasoning_content": ""} if m.get("role") == "assistant" else m for m in messages]

    def shape(self, body: dict[str, Any], messages: Any = None) -> tuple[dict[str, Any], int] | None:
        """``(the body of each request, how many requests)`` as lm15 sends the call, or ``None``
        when lm15 would not take it, the settings in ``body`` or the ``messages`` (LiteLLM's route
        serves the call; an error under ``"lm15"``)."""
        n = body.get("n", 1)  # (dropped below with the keys lm15 never sends; ``body`` stays as it is)
        why = _messages_refused(messages)
        if why is not None:
            return self._refused(why)
        table = tables()
        out: dict[str, Any] = {}
        tokens = None
        for key, value in body.items():
            if key in _VERBATIM or key == "model" or key == "messages":
                out[key] = value
            elif key in _SHAPED:
                if key in _TOKENS:
                    if tokens is not None and repr(tokens) != repr(value):
                        return self._refused(f"max_tokens and max_completion_tokens disagree ({tokens!r}, {value!r})")
                    tokens = value
                elif key == "stop":
                    stop = (value,) if isinstance(value, str) else tuple(value or ())
                    if stop:
                        out["stop"] = list(stop)
                elif key == "logprobs":
                    if value is True:
                        out["logprobs"] = True
                        if body.get("top_logprobs"):
                            out["top_logprobs"] = body["top_logprobs"]
                    elif value is not False:
                        return self._refused("logprobs must be a boolean")
                elif key == "top_logprobs":
                    if body.get("logprobs") is not True:
                        return self._refused("top_logprobs requires logprobs: true")
                # top_k: lm15's door for Chat Completions has no field for it and drops it
            elif key == "tools":
                if value:
                    out["tools"] = _tools(value)
            elif key == "tool_choice" or key == "parallel_tool_calls":
                continue  # written below, beside the tools
            elif key in table["_dropped"]:
                continue
            elif key in table["_known"]:
                raise CapabilityError(
                    f"the native LM client does not write {key!r} as dspy's own engine (lm15) does yet; "
                    f"set engine='litellm' on the LM to send it LiteLLM's way, or use the dspy backend")
            else:
                return self._refused(f"lm15 has no verdict for the request key {key!r}")
        if tokens is not None:
            out[self.max_tokens_field] = tokens
        if "tool_choice" in body or "parallel_tool_calls" in body:
            from dspex_native.lm.engine_tool_choice import NotTaken, written

            try:
                out.update(written(body.get("tool_choice"), body.get("parallel_tool_calls"), out.get("tools")))
            except NotTaken as exc:
                return self._refused(str(exc))
        return out, n

    def _refused(self, why: str) -> None:
        if self.engine == "lm15":
            raise ConfigError(f"engine='lm15' cannot send this request: {why}; use engine='auto' or 'litellm'")
        if self.provider == "ollama":  # dspy sends this one call to LiteLLM's Ollama client: not switched natively
            raise CapabilityError(f"this request goes LiteLLM's way in dspy ({why}), to Ollama's own API, which the "
                                  f"native client writes for an LM on LiteLLM's route, not for one call of an LM on "
                                  f"dspy's own engine; set engine='litellm' on the LM, or use the dspy backend")
        return None

    def __repr__(self) -> str:
        where = f"lm15 {self.provider}" if self.own else f"litellm ({self.why_not_own})"
        return f"Route({self.engine!r}: {where})"


def _messages_refused(messages: Any) -> str | None:
    """Why lm15 would not read these chat messages (so dspy sends the call LiteLLM's way), or
    ``None``: a leading system message with empty text (its request's ``system`` cannot be empty),
    nothing but that system message (a request needs a message), a per-message ``name`` outside
    tool messages. Predictors always send a system and a user message; a direct LM call
    (the ``lm`` module type) sends what it is given."""
    if not isinstance(messages, list) or not messages:
        return None
    first = messages[0]
    if isinstance(first, dict) and first.get("role") in ("system", "developer"):
        if first.get("content") == "":
            return "an empty system message"
        if len(messages) == 1:
            return "no message besides the system message"
    for message in messages:
        if isinstance(message, dict) and message.get("name") is not None and message.get("role") != "tool":
            return "a per-message name"
    return None


def _tools(tools: Any) -> list[dict[str, Any]]:
    """``tools`` as lm15 writes them on Chat Completions (its ``FunctionTool`` read back): function
    tools only, ``name``, ``description`` and ``parameters`` (an empty object schema by default)."""
    if not isinstance(tools, list):
        raise CapabilityError(f"tools must be a list of function tools, got {type(tools).__name__}")
    written = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(function, dict) or not function.keys() <= {"name", "description", "parameters", "strict"} \
                or function.get("strict") is True or not isinstance(function.get("name"), str):
            raise CapabilityError(f"the native LM client writes function tools ({{'type': 'function', 'function': "
                                  f"{{'name', 'description', 'parameters'}}}}) as dspy's own engine does, not {tool!r}")
        parameters = function.get("parameters")
        written.append({"type": "function", "function": {
            "name": function["name"], "description": function.get("description"),
            "parameters": {"type": "object", "properties": {}} if parameters is None else parameters}})
    return written


def door(model: str) -> dict[str, Any] | None:
    """lm15's OpenAI-compatible door for a model string (``provider/model`` or a bare name), or ``None``."""
    table = tables()
    head, slash, rest = model.partition("/")
    if slash and rest:
        return table["prefixes"].get(head)
    for rule in table["bare_rules"]:
        if model.startswith(rule["prefix"]):
            return rule
    return None


def route(lm: LM) -> Route:
    """The route of ``lm``'s requests (see the module docstring): dspy's ``select_backend`` for
    the same ``dspy.LM``."""
    engine = lm.settings.get("engine") or "auto"
    head, slash, rest = lm.model.partition("/")
    if engine == "litellm":
        return Route(engine, False, why_not_own="engine='litellm'")
    why = None
    found = door(lm.model)
    if found is None and slash and rest and head in OWN_WIRES:
        found = {"provider": head, "max_tokens_field": "max_tokens", "reasoning_content": False}
    table = tables()
    if found is None:
        why = f"lm15 has no OpenAI-compatible door for {lm.model!r}"
    elif lm.settings.get("model_type") not in (None, "chat"):
        why = f"model_type={lm.settings['model_type']!r}"
    else:
        clients = {k for k in table["client_keys"] if k in lm.settings or lm.secret(k) is not None}
        extra = sorted(clients - set(table["native_client_keys"]))
        if extra:
            why = f"client settings only LiteLLM carries: {extra}"
        elif engine == "auto":
            prefix = lm.model.split("/", 1)[0].upper()
            if any(os.getenv(name) for name in (f"{prefix}_API_BASE", f"{prefix}_BASE_URL")):
                why = f"{prefix}_API_BASE or {prefix}_BASE_URL is set (a gateway dspy leaves to LiteLLM)"
    if why is not None:
        if engine == "lm15":
            raise ConfigError(f"LM {lm.model!r}: engine='lm15' cannot serve it ({why}); use engine='auto' or 'litellm'")
        return Route(engine, False, why_not_own=why)
    return Route(engine, True, found["provider"], found["max_tokens_field"], found["reasoning_content"])
