"""DSPy's built-in adapters: ``ChatAdapter``, ``JSONAdapter``, ``XMLAdapter``.

Each names a dspex adapter (``"chat" | "json" | "xml"``), which native renders byte for byte as
DSPy does. A predictor with one of them configured runs as a dspex reference; the adapter's own
API (``format``, ``parse``, the pieces of a prompt, ``adapter(lm, ...)``) is served by dspex too
(:mod:`dspex_compat._adapter_render`). A subclass that redefines a piece of the prompt gets DSPy's
composition of its pieces instead, and a predictor runs it through the adapter's call loop. The
field formatting DSPy's ``DummyLM`` uses to write its replies (``format_field_with_value``) is here.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import dspex_core

from dspex_compat import _adapter_render as rendered
from dspex_compat._adapter_base import Adapter
from dspex_compat._adapter_utils import format_field_value, serialize_for_json

__all__ = ["Adapter", "ChatAdapter", "JSONAdapter", "XMLAdapter", "FieldInfoWithName", "field_header_pattern",
           "format_field_value", "serialize_for_json", "adapter_name", "adapter_options", "runs_on_dspex",
           "header_pattern"]



def header_pattern() -> "re.Pattern[str]":
    """DSPy's ``field_header_pattern`` (``[[ ## name ## ]]``), compiled on first use: ``re`` is not
    imported by ``import dspy``."""
    import re

    return re.compile(r"\[\[ ## (\w+) ## \]\]")


def __getattr__(name: str) -> Any:
    if name == "field_header_pattern":
        return header_pattern()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: the methods whose redefinition in a subclass makes ``format`` compose the pieces
_PIECES = ("format_system_message", "format_field_description", "format_field_structure", "format_task_description",
           "format_user_message_content", "format_assistant_message_content", "format_demos")


class FieldInfoWithName(NamedTuple):
    name: str
    info: Any


class ChatAdapter(Adapter):
    """DSPy's default: ``[[ ## field ## ]]`` sections; a reply it cannot read is asked again as JSON."""

    name = "chat"

    def __init__(self, callbacks: list | None = None, use_native_function_calling: bool = False,
                 native_response_types: list[type] | None = None, use_json_adapter_fallback: bool = True,
                 parallel_tool_calls: bool | None = None):
        super().__init__(callbacks=callbacks, use_native_function_calling=use_native_function_calling,
                         native_response_types=native_response_types, parallel_tool_calls=parallel_tool_calls)
        self.use_json_adapter_fallback = use_json_adapter_fallback

    # -- which path ---------------------------------------------------------------------------
    def _builtin(self) -> type:
        return next(c for c in type(self).__mro__ if c in _BUILT_IN)

    def _composes(self) -> bool:
        """Whether a subclass redefines a piece of the prompt (then DSPy's composition runs)."""
        base = self._builtin()
        return base is not type(self) and any(getattr(type(self), p) is not getattr(base, p) for p in _PIECES)

    def runs_on_dspex(self) -> bool:
        """Whether a predictor with this adapter can run as a dspex reference (its adapter is
        dspex's own, with nothing redefined or added)."""
        if type(self) not in _BUILT_IN:  # a subclass: nothing of the call may be its own
            base = self._builtin()
            redefined = ("format", "parse", "__call__", "acall", "_call_preprocess", "_call_postprocess", *_PIECES)
            if any(getattr(type(self), p) is not getattr(base, p) for p in redefined):
                return False
        return not self.callbacks and self._native_response_types is None and self.use_json_adapter_fallback

    # -- the call -----------------------------------------------------------------------------
    def __call__(self, lm: Any, lm_kwargs: dict[str, Any], signature: Any, demos: list[Any],
                 inputs: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return super().__call__(lm, lm_kwargs, signature, demos, inputs)
        except dspex_core.AdapterParseError:  # DSPy's class too (a subclass)
            if isinstance(self, JSONAdapter) or not self.use_json_adapter_fallback:
                raise
            return JSONAdapter()(lm, lm_kwargs, signature, demos, inputs)

    async def acall(self, lm: Any, lm_kwargs: dict[str, Any], signature: Any, demos: list[Any],
                    inputs: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return await super().acall(lm, lm_kwargs, signature, demos, inputs)
        except dspex_core.AdapterParseError:  # DSPy's class too (a subclass)
            if isinstance(self, JSONAdapter) or not self.use_json_adapter_fallback:
                raise
            return await JSONAdapter().acall(lm, lm_kwargs, signature, demos, inputs)

    # -- format and parse, served by dspex ----------------------------------------------------
    def format(self, signature: Any, demos: list[Any], inputs: dict[str, Any]) -> list[dict[str, Any]]:
        """The messages of a call: the backend's render of the signature, demos and inputs."""
        if self._composes():
            return super().format(signature, demos, inputs)
        try:
            return rendered.render_messages(self.name, signature, demos, dict(inputs))
        except dspex_core.InputError:
            if self._get_history_field_name(signature):
                raise
            return super().format(signature, demos, inputs)  # inputs left out: DSPy formats what is there

    def parse(self, signature: Any, completion: str) -> dict[str, Any]:
        """The outputs read from one completion by the backend's parser."""
        try:
            return rendered.parse_completion(self.name, signature, completion)
        except dspex_core.AdapterParseError as exc:
            from dspex_compat._dspy_errors import AdapterParseError

            raise AdapterParseError(adapter_name=type(self).__name__, signature=signature, lm_response=completion,
                                    message=str(exc).split("\n\nLM reply:\n")[0]) from exc

    # -- the pieces of a prompt ---------------------------------------------------------------
    def format_system_message(self, signature: Any) -> str:
        if self._composes():
            return super().format_system_message(signature)
        return "\n".join(rendered.system_parts(self.name, signature))

    def format_field_description(self, signature: Any) -> str:
        return rendered.system_parts(self.name, signature)[0]

    def format_field_structure(self, signature: Any) -> str:
        return rendered.system_parts(self.name, signature)[1]

    def format_task_description(self, signature: Any) -> str:
        return rendered.system_parts(self.name, signature)[2]

    def user_message_output_requirements(self, signature: Any) -> str:
        return rendered.output_requirements(self.name, signature)

    def format_user_message_content(self, signature: Any, inputs: dict[str, Any], prefix: str = "", suffix: str = "",
                                    main_request: bool = False) -> str:
        parts = [prefix]
        fields = rendered.user_content(self.name, signature, inputs)
        if fields:
            parts.append(fields)
        if main_request:
            parts.append(self.user_message_output_requirements(signature))
        parts.append(suffix)
        return "\n\n".join(parts).strip()

    def format_assistant_message_content(self, signature: Any, outputs: dict[str, Any],
                                         missing_field_message: str | None = None) -> str:
        values = {name: outputs.get(name, missing_field_message) for name in signature.output_fields}
        return rendered.assistant_content(self.name, signature, values)

    def format_demos(self, signature: Any, demos: list[Any]) -> list[dict[str, Any]]:
        if self._composes():
            return super().format_demos(signature, demos)
        placeholders = {name: "" for name in signature.input_fields}
        messages = rendered.render_messages(self.name, signature, demos, placeholders)[1:-1]
        return [{**m, "content": rendered.text_of(m["content"])} for m in messages]

    def format_field_with_value(self, fields_with_values: dict[FieldInfoWithName, Any]) -> str:
        """``[[ ## name ## ]]`` sections of the values (what DummyLM answers with)."""
        return "\n\n".join(f"[[ ## {field.name} ## ]]\n{format_field_value(field.info, value)}"
                           for field, value in fields_with_values.items()).strip()


class JSONAdapter(ChatAdapter):
    """Outputs as one JSON object (DSPy asks for JSON mode where the model has it)."""

    name = "json"

    def __init__(self, callbacks: list | None = None, use_native_function_calling: bool = True,
                 native_response_types: list[type] | None = None, parallel_tool_calls: bool | None = None):
        super().__init__(callbacks=callbacks, use_native_function_calling=use_native_function_calling,
                         native_response_types=native_response_types, parallel_tool_calls=parallel_tool_calls)

    def format_field_with_value(self, fields_with_values: dict[FieldInfoWithName, Any], role: str = "user") -> str:
        if role == "user":
            return super().format_field_with_value(fields_with_values)
        data = {field.name: value for field, value in fields_with_values.items()}
        return json.dumps(serialize_for_json(data), indent=2, ensure_ascii=False)


class XMLAdapter(ChatAdapter):
    """Fields as ``<field>...</field>`` elements."""

    name = "xml"

    def format_field_with_value(self, fields_with_values: dict[FieldInfoWithName, Any]) -> str:
        out = []
        for field, value in fields_with_values.items():
            formatted = format_field_value(field.info, value)
            extra = getattr(field.info, "json_schema_extra", None) or {}
            if extra.get("__dspy_field_type") == "output" and getattr(field.info, "annotation", None) is str:
                formatted = formatted.replace("&", "&amp;").replace("<", "&lt;")
            out.append(f"<{field.name}>\n{formatted}\n</{field.name}>")
        return "\n\n".join(out).strip()


_BUILT_IN = (ChatAdapter, JSONAdapter, XMLAdapter)


def runs_on_dspex(adapter: Any) -> bool:
    """Whether a predictor with ``adapter`` configured runs as a dspex reference (``None``, dspex's
    default, is DSPy's ChatAdapter); otherwise it runs the adapter's own call loop."""
    return adapter is None or (isinstance(adapter, ChatAdapter) and adapter.runs_on_dspex())


def adapter_name(adapter: Any) -> str | None:
    """The dspex adapter of an adapter that :func:`runs_on_dspex` (``None``: dspex's default)."""
    return None if adapter is None else adapter.name


def adapter_options(adapter: Any) -> dict[str, Any]:
    """The dspex ``adapter_options`` of an adapter that :func:`runs_on_dspex`: its native function
    calling where it is not the class's default (on for JSONAdapter, off otherwise) and its
    ``parallel_tool_calls`` when set."""
    if adapter is None:
        return {}
    options: dict[str, Any] = {}
    native = bool(adapter.use_native_function_calling)
    if native != isinstance(adapter, JSONAdapter):
        options["use_native_function_calling"] = native
    if adapter.parallel_tool_calls is not None:
        options["parallel_tool_calls"] = adapter.parallel_tool_calls
    return options
