"""The prompt LiteLLM writes from chat messages for Ollama's ``/api/generate`` (its ``ollama_pt``).

dspy sends ``ollama/<model>`` on LiteLLM's route to Ollama's completion endpoint, which takes one
``prompt`` string, not messages: LiteLLM folds the messages into it, turn after turn, as

* ``### User:\\n{text}\\n\\n`` for each run of ``user`` (and ``tool``/``function``) messages, their
  non-empty texts joined with a line break (a message's text parts too);
* ``### System:\\n{text}\\n\\n`` for each run of ``system`` messages, their texts run together;
* ``### Assistant:\\n{text}\\n\\n`` for each run of ``assistant`` messages, their texts run together.

A turn with no text writes nothing. The user messages' image parts are sent beside the prompt
(:func:`prompt` returns their URLs, in order). A message of another role (``developer``, ...) stops
LiteLLM (a ``BadRequestError`` in dspy), an :class:`~dspex_core.errors.InputError` here; an
assistant's tool calls (which LiteLLM writes as JSON lines) are a
:class:`~dspex_core.CapabilityError`. (A custom prompt template registered in LiteLLM,
``litellm.register_prompt_template``, is process state of LiteLLM's, not read here.)
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import CapabilityError, InputError

_USER_ROLES = frozenset({"user", "tool", "function"})


def _not_built(what: str) -> CapabilityError:
    return CapabilityError(f"the native LM client does not write {what} into the prompt LiteLLM writes for "
                           f"ollama/ models (Ollama's /api/generate); use the dspy backend, or ollama_chat/")


def _user_parts(message: dict[str, Any], index: int) -> tuple[list[str], list[str]]:
    """A user-side message's non-empty texts and image URLs (LiteLLM's ``_ollama_user_message_parts``)."""
    content = message.get("content")
    if content is None:
        return [], []
    if isinstance(content, str):
        return ([content] if content else []), []
    if not isinstance(content, list):
        raise InputError(f"the {message.get('role')} message at index {index} has {type(content).__name__} "
                         f"content; content must be a string or a list of content parts")
    texts, images = [], []
    for part in content:
        if not isinstance(part, dict):
            raise InputError(f"the {message.get('role')} message at index {index} has a {type(part).__name__} "
                             f"content part; content parts must be objects")
        if part.get("type") == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise InputError(f"the {message.get('role')} message at index {index} has a text part whose "
                                 f"text is not a string")
            if text:
                texts.append(text)
        elif part.get("type") == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str):
                raise InputError(f"the {message.get('role')} message at index {index} has an image_url part "
                                 f"without a URL string")
            if url:
                images.append(url)
        # (LiteLLM skips parts of any other type)
    return texts, images


def _joined(message: dict[str, Any]) -> str:
    """LiteLLM's ``convert_content_list_to_str``: a string as it is, the parts' texts run together
    (parts without text, an image's, left out)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part["text"]) for part in content if isinstance(part, dict) and part.get("text"))
    return ""


def prompt(messages: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """``(the prompt, the user messages' image URLs)`` LiteLLM sends for ``messages`` (see the
    module docstring)."""
    out: list[str] = []
    images: list[str] = []
    i = 0
    while i < len(messages):
        start = i
        users = []
        while i < len(messages) and messages[i].get("role") in _USER_ROLES:
            texts, urls = _user_parts(messages[i], i)
            images.extend(urls)
            if texts:
                users.append("\n".join(texts))
            i += 1
        if users:
            out.append(f"### User:\n{chr(10).join(users)}\n\n")
        system = ""
        while i < len(messages) and messages[i].get("role") == "system":
            system += _joined(messages[i])
            i += 1
        if system:
            out.append(f"### System:\n{system}\n\n")
        assistant = ""
        while i < len(messages) and messages[i].get("role") == "assistant":
            if messages[i].get("tool_calls"):
                raise _not_built("an assistant's tool calls")
            assistant += _joined(messages[i])
            i += 1
        if assistant:
            out.append(f"### Assistant:\n{assistant}\n\n")
        if i == start:
            raise InputError(f"LiteLLM writes no prompt for Ollama from a {messages[i].get('role')!r} message "
                             f"(index {i}): the roles are system, user, assistant and tool")
    return "".join(out), images
