"""The rules of the ``lm`` module type (a direct LM call, DSPy's ``lm(prompt)`` /
``lm(messages=[...], **settings)``), one copy for every backend.

A call's inputs are ``messages`` (a non-empty list of chat messages, dicts with a ``role``) or
``prompt`` (a string, sent as DSPy sends it: one user message), never both and never anything
else; LM settings (DSPy's ``**kwargs``) come as the ``config`` option, as for every other module
type. Any other mistake is an :class:`~dspex_core.errors.InputError` naming it, with the same words
whichever backend serves the call. Backends use this module as ``dspex_core.backend.lm_call_rules``.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

MODULE_TYPE = "lm"
#: the options ``create`` takes (the LM and default settings) and those a call takes (the same)
OPTIONS = frozenset({"lm", "config"})
_SETTINGS_HINT = "pass LM settings as config={...} (e.g. config={'temperature': 0.3})"


def check_options(where: str, options: Mapping[str, Any]) -> None:
    """An :class:`InputError` naming any option outside ``lm``/``config``."""
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise InputError(f"{where}: unknown option(s) {unknown}; accepted: config, lm")


def messages_of(inputs: Any) -> list[dict[str, Any]]:
    """The messages a call sends: ``inputs["messages"]`` as given, or ``inputs["prompt"]`` as one
    user message (DSPy's ``[{"role": "user", "content": prompt}]``)."""
    if not isinstance(inputs, Mapping):
        raise InputError(f"lm: inputs must be a mapping with 'messages' or 'prompt', got {type(inputs).__name__}")
    extra = sorted(set(inputs) - {"messages", "prompt"})
    if extra:
        raise InputError(f"lm: unknown input(s) {extra}; a call takes messages=[...] or prompt='...'; "
                         f"{_SETTINGS_HINT}")
    if "messages" in inputs and "prompt" in inputs:
        raise InputError("lm: give messages=[...] or prompt='...', not both")
    if "prompt" in inputs:
        prompt = inputs["prompt"]
        if not isinstance(prompt, str):
            raise InputError(f"lm: prompt must be a string, got {type(prompt).__name__}")
        return [{"role": "user", "content": prompt}]
    if "messages" not in inputs:
        raise InputError("lm: a call needs messages=[{'role': ..., 'content': ...}, ...] or prompt='...'")
    messages = inputs["messages"]
    if not isinstance(messages, list) or not messages:
        raise InputError("lm: messages must be a non-empty list of {'role': ..., 'content': ...} dicts, "
                         f"got {type(messages).__name__ if not isinstance(messages, list) else 'an empty list'}")
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise InputError(f"lm: messages[{index}] must be a dict with a 'role' (and 'content'), got {message!r:.80}")
    return messages
