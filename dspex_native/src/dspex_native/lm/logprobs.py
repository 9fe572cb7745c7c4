"""Token logprobs of a reply, as dspy's own engine hands them on (``logprobs=True``).

dspy 3.4's default engine reads an OpenAI-style choice's ``logprobs.content`` entries into lm15's
token records (``openai_token_logprobs``: an entry without ``token`` or ``logprob`` is skipped,
``bytes`` kept only when it is a list, the ``top_logprobs`` alternatives read the same way) and
writes them back (``legacy_output``) as ``{"content": [{"token", "logprob", "bytes",
"top_logprobs": [{"token", "logprob", "bytes"}]}]}`` in a dict whose keys are also attributes
(``out["logprobs"].content[0].logprob``). A request that asked for logprobs gets that value on
every completion, ``{"content": []}`` when the reply had none; the completion is then a dict
(``{"text", "logprobs"}``) as dspy's ``LM.__call__`` returns it, and a predictor's prediction
carries it as its ``logprobs`` field. LiteLLM's route hands on LiteLLM's own ``ChoiceLogprobs``
objects instead, which native does not build (:mod:`.client` refuses logprobs there).
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import CapabilityError

from dspex_native._not_implemented import LITELLM_LOGPROBS


class AttributeDict(dict):
    """A dict whose keys read as attributes too, as dspy's ``AttributeDict`` (so code written for
    LiteLLM's logprobs objects, ``lp.content[0].token``, keeps working)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """The plain dicts and lists, as dspy's ``AttributeDict.model_dump``."""
        return _plain(self)


def with_attributes(value: Any) -> Any:
    """``value`` with every dict an :class:`AttributeDict` (dspy's ``attributes``)."""
    if isinstance(value, dict):
        return AttributeDict({key: with_attributes(item) for key, item in value.items()})
    if isinstance(value, list):
        return [with_attributes(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def read(choice_logprobs: Any) -> dict[str, Any]:
    """A choice's ``logprobs`` as dspy's own engine hands them on (plain dicts: they are cached)."""
    entries = choice_logprobs.get("content") if isinstance(choice_logprobs, dict) else None
    return {"content": [{**_token(entry), "top_logprobs": [_token(top) for top in _tops(entry)]}
                        for entry in _entries(entries)]}


def _entries(entries: Any) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and "token" in e and "logprob" in e]


def _tops(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return _entries(entry.get("top_logprobs") or [])


def _token(entry: dict[str, Any]) -> dict[str, Any]:
    raw = entry.get("bytes")
    return {"token": str(entry["token"]), "logprob": float(entry["logprob"]),
            "bytes": list(raw) if isinstance(raw, list) else None}


def completion(completion: Any, choice_logprobs: Any) -> dict[str, Any]:
    """``completion`` (a text, or ``{"text", "tool_calls"}``) with the choice's logprobs added."""
    out = dict(completion) if isinstance(completion, dict) else {"text": completion}
    out["logprobs"] = read(choice_logprobs)
    return out


def attach(completions: list[Any]) -> list[Any]:
    """The completions handed on, their logprobs with attribute access (a cached completion's are
    plain dicts)."""
    return [{**c, "logprobs": with_attributes(c["logprobs"])} if isinstance(c, dict) and "logprobs" in c else c
            for c in completions]


def not_built(model: str) -> CapabilityError:
    """The error for a request asking for logprobs on LiteLLM's route."""
    return CapabilityError(f"the native LM client does not build {LITELLM_LOGPROBS} for {model!r}; use dspy's "
                           f"own engine (engine='auto') or the dspy backend")
