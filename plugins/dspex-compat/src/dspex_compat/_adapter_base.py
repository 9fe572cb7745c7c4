"""DSPy's ``dspy.Adapter``: the protocol an adapter follows to turn a call into messages and a
reply into outputs.

``adapter(lm, lm_kwargs, signature, demos, inputs)`` is DSPy's loop: adapt the signature to the
LM's native features, :meth:`Adapter.format` the messages, call the LM, read every completion
with :meth:`Adapter.parse` and add what the LM returned natively (citations, reasoning). The
built-in adapters (:mod:`dspex_compat._adapters`) format and parse through dspex; a program's own
subclass defines the pieces (``format_task_description``, ``format_user_message_content``, ...)
and :meth:`Adapter.format` composes them as DSPy does.
"""

from __future__ import annotations

import typing
from typing import Any

from dspex_compat._adapter_utils import apply_output_field_defaults

__all__ = ["Adapter"]

_TOOL_SETTINGS = ("tools", "tool_choice", "parallel_tool_calls")
INCOMPLETE_DEMO_PREFIX = "This is an example of the task, though some input or output fields are not supplied."
MISSING_INCOMPLETE = "Not supplied for this particular example. "
MISSING_COMPLETE = "Not supplied for this conversation history message. "


def _named(annotation: Any, *names: str) -> bool:
    """Whether ``annotation`` is one of DSPy's types called ``names`` (the layer's or dspex's class)."""
    return isinstance(annotation, type) and annotation.__name__ in names and (
        annotation.__module__.startswith(("dspy.", "dspex_core.")))


def _default_native_types() -> list[type]:
    from dspex_compat._types_citation import Citations
    from dspex_compat._types_reasoning import Reasoning

    return [Citations, Reasoning]


class Adapter:
    """The base of every adapter: DSPy's call loop around ``format`` and ``parse``."""

    def __init__(self, callbacks: list | None = None, use_native_function_calling: bool = False,
                 native_response_types: list[type] | None = None, parallel_tool_calls: bool | None = None):
        self.callbacks = callbacks or []
        self.use_native_function_calling = use_native_function_calling
        self.parallel_tool_calls = parallel_tool_calls
        self._native_response_types = native_response_types

    @property
    def native_response_types(self) -> list[type]:
        """The output types the LM may return natively (DSPy's default: Citations and Reasoning)."""
        if self._native_response_types is None:
            self._native_response_types = _default_native_types()
        return self._native_response_types

    @native_response_types.setter
    def native_response_types(self, value: list[type]) -> None:
        self._native_response_types = value

    # -- the call -----------------------------------------------------------------------------
    def _call_preprocess(self, lm: Any, lm_kwargs: dict[str, Any], signature: Any, inputs: dict[str, Any]) -> Any:
        """The signature to format (native features take their fields out); ``lm_kwargs`` updated."""
        if self.use_native_function_calling and self._get_tool_call_output_field_name(signature):
            raise NotImplementedError("native function calling through a dspy.Adapter is not built in dspex-compat "
                                      "yet (dspy.Tool is not served); docs/compat.md lists what the layer serves")
        for key in _TOOL_SETTINGS:
            lm_kwargs.pop(key, None)
        for name, field in signature.output_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and annotation in self.native_response_types:
                signature = annotation.adapt_to_native_lm_feature(signature, name, lm, lm_kwargs)
        return signature

    def _call_postprocess(self, processed_signature: Any, original_signature: Any, outputs: list[Any], lm: Any,
                          lm_kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        """Each completion read into the original signature's outputs."""
        values = []
        for output in outputs:
            text, logprobs = output, None
            if isinstance(output, dict):
                text, logprobs = output.get("text"), output.get("logprobs")
            if not text:
                from dspex_compat._dspy_errors import AdapterParseError

                raise AdapterParseError(adapter_name=type(self).__name__, signature=original_signature,
                                        lm_response=str(output), message="The LM returned an empty or null response.")
            value = apply_output_field_defaults(original_signature, self.parse(processed_signature, text))
            for name in original_signature.output_fields:
                value.setdefault(name, None)
            for name, field in original_signature.output_fields.items():
                annotation = field.annotation
                if isinstance(annotation, type) and annotation in self.native_response_types:
                    parsed = annotation.parse_lm_response(output)
                    if parsed is not None:
                        value[name] = parsed
            if logprobs:
                value["logprobs"] = logprobs
            values.append(value)
        return values

    def __call__(self, lm: Any, lm_kwargs: dict[str, Any], signature: Any, demos: list[Any],
                 inputs: dict[str, Any]) -> list[dict[str, Any]]:
        processed = self._call_preprocess(lm, lm_kwargs, signature, inputs)
        messages = self.format(processed, demos, inputs)
        outputs = lm(messages=messages, **lm_kwargs)
        return self._call_postprocess(processed, signature, outputs, lm, lm_kwargs)

    async def acall(self, lm: Any, lm_kwargs: dict[str, Any], signature: Any, demos: list[Any],
                    inputs: dict[str, Any]) -> list[dict[str, Any]]:
        processed = self._call_preprocess(lm, lm_kwargs, signature, inputs)
        messages = self.format(processed, demos, inputs)
        outputs = await lm.acall(messages=messages, **lm_kwargs)
        return self._call_postprocess(processed, signature, outputs, lm, lm_kwargs)

    # -- formatting, composed from the pieces a subclass defines ------------------------------
    def format(self, signature: Any, demos: list[Any], inputs: dict[str, Any]) -> list[dict[str, Any]]:
        """System message, demos, then the request (DSPy's composition of the pieces)."""
        if self._get_history_field_name(signature):
            raise NotImplementedError(f"{type(self).__name__}.format with a dspy.History input composes the "
                                      "conversation in DSPy's base Adapter, which dspex-compat does not build; the "
                                      "built-in ChatAdapter, JSONAdapter and XMLAdapter format histories")
        messages = [{"role": "system", "content": self.format_system_message(signature)}]
        messages.extend(self.format_demos(signature, demos))
        content = self.format_user_message_content(signature, dict(inputs), main_request=True)
        if content:
            messages.append({"role": "user", "content": content})
        return messages

    def format_system_message(self, signature: Any) -> str:
        return (f"{self.format_field_description(signature)}\n{self.format_field_structure(signature)}\n"
                f"{self.format_task_description(signature)}")

    def format_field_description(self, signature: Any) -> str:
        raise NotImplementedError

    def format_field_structure(self, signature: Any) -> str:
        raise NotImplementedError

    def format_task_description(self, signature: Any) -> str:
        raise NotImplementedError

    def format_user_message_content(self, signature: Any, inputs: dict[str, Any], prefix: str = "", suffix: str = "",
                                    main_request: bool = False) -> str:
        raise NotImplementedError

    def format_assistant_message_content(self, signature: Any, outputs: dict[str, Any],
                                         missing_field_message: str | None = None) -> str:
        raise NotImplementedError

    def format_demos(self, signature: Any, demos: list[Any]) -> list[dict[str, Any]]:
        """Incomplete demos (some inputs and some outputs) first, with a preamble, then complete ones."""
        complete, incomplete = [], []
        for demo in demos:
            if all(k in demo and demo[k] is not None for k in signature.fields):
                complete.append(demo)
            elif any(k in demo for k in signature.input_fields) and any(k in demo for k in signature.output_fields):
                incomplete.append(demo)
        messages = []
        for demo in incomplete:
            messages.append({"role": "user", "content": self.format_user_message_content(
                signature, demo, prefix=INCOMPLETE_DEMO_PREFIX)})
            messages.append({"role": "assistant", "content": self.format_assistant_message_content(
                signature, demo, missing_field_message=MISSING_INCOMPLETE)})
        for demo in complete:
            messages.append({"role": "user", "content": self.format_user_message_content(signature, demo)})
            messages.append({"role": "assistant", "content": self.format_assistant_message_content(
                signature, demo, missing_field_message=MISSING_COMPLETE)})
        return messages

    def parse(self, signature: Any, completion: str) -> dict[str, Any]:
        raise NotImplementedError

    # -- fields with special roles -----------------------------------------------------------
    def _get_history_field_name(self, signature: Any) -> str | None:
        return next((n for n, f in signature.input_fields.items() if _named(f.annotation, "History")), None)

    def _get_tool_call_input_field_name(self, signature: Any) -> str | None:
        for name, field in signature.input_fields.items():
            annotation = field.annotation
            if _named(annotation, "Tool") or (typing.get_origin(annotation) is list
                                               and _named(typing.get_args(annotation)[0], "Tool")):
                return name
        return None

    def _get_tool_call_output_field_name(self, signature: Any) -> str | None:
        return next((n for n, f in signature.output_fields.items() if _named(f.annotation, "ToolCalls")), None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
