"""The built-in adapters' prompts, as dspex renders them: no second renderer in the layer.

A ``dspy.ChatAdapter`` (or ``JSONAdapter``/``XMLAdapter``) formats by asking a dspex ``predict``
reference of the signature for the request its call would send (``ref.render``: the backend's
adapter, DSPy's messages byte for byte) and parses with the reference's reader (``ref.parse``).
DSPy's smaller pieces (the system message's parts, one user or assistant message) are cut out of
renders made for the purpose: a demo holding the values renders them as DSPy's
``format_user_message_content``/``format_assistant_message_content`` do.
"""

from __future__ import annotations

import json
from typing import Any

import dspex_core

__all__ = ["render_messages", "parse_completion", "system_parts", "user_content", "assistant_content",
           "output_requirements", "text_of"]

_STRUCTURE = "\nAll interactions will be structured in the following way"
_TASK = "\nIn adhering to this structure, your objective is: "
_INCOMPLETE_PREFIX = "This is an example of the task, though some input or output fields are not supplied.\n\n"
_START, _END = "<<CUSTOM-TYPE-START-IDENTIFIER>>", "<<CUSTOM-TYPE-END-IDENTIFIER>>"


class _RenderOnlyLM:
    """The LM of a reference made only to render or parse: it is never called."""

    model = None

    def __call__(self, messages: Any, **settings: Any) -> Any:
        raise RuntimeError("dspex-compat renders adapter prompts with this LM; it is never called")


_RENDER_ONLY = _RenderOnlyLM()


def _ref(adapter: str, signature: Any, demos: list[Any]) -> Any:
    return dspex_core.create("predict", signature._dspex(), demos=list(demos), lm=_RENDER_ONLY, adapter=adapter)


def render_messages(adapter: str, signature: Any, demos: list[Any], inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages a call of ``signature`` with ``demos`` and ``inputs`` sends with ``adapter``."""
    return _ref(adapter, signature, demos).render(**inputs)["messages"]


def parse_completion(adapter: str, signature: Any, completion: str) -> dict[str, Any]:
    """The outputs ``adapter`` reads from ``completion`` (dspex's ``AdapterParseError`` if it cannot)."""
    return _ref(adapter, signature, []).parse(completion)


def text_of(content: Any) -> Any:
    """A message's content as DSPy's formatting writes it: content parts joined back into text,
    each run of non-text parts as one custom-type marker."""
    if not isinstance(content, list):
        return content
    out, run = [], []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "text":
            if run:
                out.append(f"{_START}{json.dumps(run, ensure_ascii=False)}{_END}")
                run = []
            out.append(part.get("text", ""))
        else:
            run.append(part)
    if run:
        out.append(f"{_START}{json.dumps(run, ensure_ascii=False)}{_END}")
    return "".join(out)


def _placeholders(names: Any) -> dict[str, Any]:
    return {name: "" for name in names}


def system_parts(adapter: str, signature: Any) -> tuple[str, str, str]:
    """The system message's field description, field structure and task description."""
    system = render_messages(adapter, signature, [], _placeholders(signature.input_fields))[0]["content"]
    cut = system.find(_STRUCTURE)
    task = system.find(_TASK, cut + 1)
    if cut < 0 or task < 0:
        raise ValueError(f"unexpected {adapter} system message layout; cannot split it into DSPy's parts")
    return system[:cut], system[cut + 1:task], system[task + 1:]


def user_content(adapter: str, signature: Any, values: dict[str, Any]) -> str:
    """The user message of ``values``' input fields, without a prefix or the output requirements."""
    if not any(name in values for name in signature.input_fields):
        return ""
    demo = {**_placeholders(signature.output_fields), **{k: values[k] for k in signature.input_fields if k in values}}
    messages = render_messages(adapter, signature, [demo], _placeholders(signature.input_fields))
    content = text_of(messages[1]["content"])
    return content[len(_INCOMPLETE_PREFIX):] if content.startswith(_INCOMPLETE_PREFIX) else content


def output_requirements(adapter: str, signature: Any) -> str:
    """What the request's user message asks of the reply, after the inputs."""
    placeholders = {name: "x" for name in signature.input_fields}  # not blank: the inputs' text is not stripped
    request = text_of(render_messages(adapter, signature, [], placeholders)[-1]["content"])
    inputs = user_content(adapter, signature, placeholders)
    if not inputs:
        return request
    if not request.startswith(inputs + "\n\n"):
        raise ValueError(f"unexpected {adapter} request layout; cannot find its output requirements")
    return request[len(inputs) + 2:]


def assistant_content(adapter: str, signature: Any, outputs: dict[str, Any]) -> str:
    """The assistant message of ``outputs`` (every output field of the signature given)."""
    demo = {**_placeholders(signature.input_fields), **outputs}
    messages = render_messages(adapter, signature, [demo], _placeholders(signature.input_fields))
    return text_of(messages[2]["content"])
