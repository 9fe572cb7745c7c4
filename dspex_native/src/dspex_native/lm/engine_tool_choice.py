"""``tool_choice`` and ``parallel_tool_calls`` as dspy's own engine (lm15) writes them on Chat Completions.

lm15 reads the two body keys into one ``ToolChoice(mode, allowed, parallel)`` (its
``_ingest_tool_choice``) and writes that back (``OpenAIChatLM._tool_choice_payload``). The round
trip changes a few bodies: ``parallel_tool_calls`` alone gains ``"tool_choice": "auto"``, an
``allowed_tools`` choice of one tool in ``"required"`` mode becomes the named-function form, and
a choice lm15 cannot read or write (an unknown mode or key, ``"none"`` with ``parallel_tool_calls``,
a tool name the request's tools lack, a ``parallel_tool_calls`` that is not a boolean) sends the
call LiteLLM's way under ``engine="auto"``. :func:`written` returns the keys lm15 sends, or the
reason it would not take them.
"""

from __future__ import annotations

from typing import Any

_MODES = ("auto", "required", "none")


class NotTaken(ValueError):
    """lm15 would not take this ``tool_choice`` / ``parallel_tool_calls`` (dspy sends the call LiteLLM's way)."""


def _only(obj: Any, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise NotTaken(f"{where} must be a JSON object")
    extra = sorted(set(obj) - keys)
    if extra:
        raise NotTaken(f"{where} key {extra[0]!r} has no place in lm15's tool choice")
    return obj


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise NotTaken(f"{where} must be a non-empty string")
    return value


def read(raw: Any, parallel: Any) -> tuple[str, tuple[str, ...], Any] | None:
    """lm15's ``ToolChoice`` of the two keys: ``(mode, allowed names, parallel)``, or ``None``."""
    mode, allowed = None, ()
    if raw is not None:
        if isinstance(raw, str) and raw in _MODES:
            mode = raw
        elif isinstance(raw, dict) and raw.get("type") == "function":
            function = _only(_only(raw, {"type", "function"}, "tool_choice").get("function"), {"name"},
                             "tool_choice.function")
            mode, allowed = "required", (_name(function.get("name"), "tool_choice.function.name"),)
        elif isinstance(raw, dict) and raw.get("type") == "allowed_tools":
            spec = _only(_only(raw, {"type", "allowed_tools"}, "tool_choice").get("allowed_tools"),
                         {"mode", "tools"}, "tool_choice.allowed_tools")
            mode = spec.get("mode")
            entries = spec.get("tools")
            if not isinstance(entries, list) or not entries:
                raise NotTaken("tool_choice.allowed_tools.tools must be a non-empty array")
            names = []
            for entry in entries:
                if not isinstance(entry, dict) or entry.get("type") != "function":
                    raise NotTaken("only function tools can be allowed on this wire")
                function = entry.get("function")
                names.append(_name(function.get("name") if isinstance(function, dict) else None,
                                   "tool_choice.allowed_tools.tools[].function.name"))
            allowed = tuple(names)
        else:
            raise NotTaken(f"tool_choice must be none, auto, required, or a function / allowed_tools object, "
                           f"got {raw!r}")
    if parallel is not None and not isinstance(parallel, bool):
        raise NotTaken("parallel_tool_calls must be a boolean")
    if mode is None and parallel is None:
        return None
    mode = mode or "auto"
    if mode not in _MODES:
        raise NotTaken(f"unsupported tool choice mode: {mode!r}")
    if mode == "none" and (allowed or parallel is not None):
        raise NotTaken("tool_choice 'none' cannot name tools or come with parallel_tool_calls")
    return mode, allowed, parallel


def written(raw: Any, parallel: Any, tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The ``tool_choice`` / ``parallel_tool_calls`` keys lm15 writes for ``raw`` and ``parallel``
    (the body's values, ``None`` when absent) beside the function ``tools`` it sends;
    :class:`NotTaken` when it would not take them."""
    choice = read(raw, parallel)
    if choice is None:
        return {}
    mode, allowed, parallel = choice
    if mode == "none":
        out: dict[str, Any] = {"tool_choice": "none"}
    elif allowed:
        known = {t["function"]["name"] for t in tools or ()}
        missing = [name for name in allowed if name not in known]
        if missing:
            raise NotTaken(f"tool_choice names {missing[0]!r}, which is not among the request's tools")
        if len(allowed) == 1 and mode == "required":
            out = {"tool_choice": {"type": "function", "function": {"name": allowed[0]}}}
        else:
            out = {"tool_choice": {"type": "allowed_tools", "allowed_tools": {
                "mode": mode, "tools": [{"type": "function", "function": {"name": name}} for name in allowed]}}}
    else:
        out = {"tool_choice": mode}
    if parallel is not None:
        out["parallel_tool_calls"] = parallel
    return out
