"""DSPy 3.4's JSONAdapter: the ChatAdapter's fallback after an unparseable reply, or chosen
with ``adapter="json"``.

The system message and user message differ from the chat format only in the structure block
(outputs as a JSON object) and the reminder; demos' replies are JSON objects; a reply is read
as the first JSON object in it. ``response_format`` is added to the request exactly when DSPy
would add it for the same model (see :func:`response_format`).
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import LRUCache

from dspex_native.adapters._chat import ChatFormat, type_info
from dspex_native.adapters._coerce import parse_value
from dspex_native.adapters._lenient_json import embedded_object, loads_lenient
from dspex_native.adapters._tool_calls import tool_calls_outputs
from dspex_native.adapters._structured_outputs import structured_output_schema
from dspex_native.adapters._types import type_note
from dspex_native.adapters._values import dumps, jsonable


class JSONFormat(ChatFormat):
    """The JSONAdapter's prompt parts and parser for one signature."""

    adapter_name = "JSONAdapter"

    def _structure(self) -> str:
        outputs = {n: type_note(n, a, False) for n, a in self.outputs}
        parts = [
            "All interactions will be structured in the following way, with the appropriate values filled in.",
            "Inputs will have the following structure:",
            self._structure_block(self.inputs, True),
            "Outputs will be a JSON object with the following fields.",
            dumps(outputs, indent=2),
        ]
        return "\n\n".join(parts).strip()

    def _output_requirements(self) -> str:
        return ("Respond with a JSON object in the following order of fields: "
                + ", then ".join(f"`{n}`{type_info(a)}" for n, a in self.outputs) + ".")

    def assistant_content(self, values: Any, missing: str | None = None) -> str:
        return dumps(jsonable({n: values.get(n, missing) for n, _ in self.outputs}), indent=2)

    def parse(self, completion: str) -> dict[str, Any]:
        fields = loads_lenient(completion)
        if not isinstance(fields, dict):
            fields = embedded_object(completion)
        if not isinstance(fields, dict):
            block = _first_braced(completion)
            if block is not None:
                completion = block
                fields = loads_lenient(block)
        if not isinstance(fields, dict):
            raise self.error(completion, "LM response cannot be serialized to a JSON object.")
        types = self.output_types
        fields = {k: v for k, v in fields.items() if k in types}
        for name, value in fields.items():
            try:
                fields[name] = parse_value(value, types[name])
            except ValueError as exc:
                raise self.error(completion, f"Failed to parse field {name}: {exc}", parsed=fields) from None
        return self.complete(fields, completion)


_FORMATS: LRUCache[Any, JSONFormat] = LRUCache(4096)


def json_format(signature: Any) -> JSONFormat:
    """The (cached) :class:`JSONFormat` of a signature."""
    fmt = _FORMATS.get(signature)
    if fmt is None:
        fmt = _FORMATS.put(signature, JSONFormat(signature))
    return fmt


def _first_braced(text: str) -> str | None:
    """The first balanced ``{...}`` block (DSPy's recursive regex ``\\{(?:[^{}]|(?R))*\\}``)."""
    start = text.find("{")
    while start >= 0:
        depth = 0
        for index in range(start, len(text)):
            char = text[index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return text[start:index + 1]
        start = text.find("{", start + 1)
    return None


_JSON_MODE = {"type": "json_object"}


def response_format(lm: Any, fmt: ChatFormat, native_function_calling: bool = True) -> dict[str, Any] | None:
    """What DSPy's ``JSONAdapter._prepare_response_format`` adds for this LM, or ``None``.

    A custom LM object has what DSPy's wrapper gives it: the capability hints it declares
    itself (``supported_params``, ``supports_response_schema``), none by default, so nothing
    is added. For an :class:`~dspex_core.LM` description, dspy 3.4's rule for the same model and
    settings decides (:mod:`._json_support`). ``native_function_calling`` is the adapter's
    (on for ``adapter="json"``, off for the ChatAdapter's JSON retry): off, a ToolCalls output
    makes it JSON mode.
    """
    from dspex_core.backend import LM

    if isinstance(lm, LM):
        from dspex_native.adapters._json_support import capabilities

        offered, schema_ok = capabilities(lm)
    else:
        offered = "response_format" in set(getattr(lm, "supported_params", ()) or ())
        schema_ok = bool(getattr(lm, "supports_response_schema", False))
    if not offered:
        return None
    open_mapping = any(a is dict or getattr(a, "__origin__", None) is dict for _, a in fmt.outputs)
    if open_mapping or not schema_ok or (not native_function_calling and tool_calls_outputs(fmt)):
        return dict(_JSON_MODE)
    try:
        schema = structured_output_schema(fmt, native_function_calling)
    except Exception as exc:  # noqa: BLE001 - only pydantic's refusals are DSPy's fallback, as below
        import sys

        pydantic = sys.modules.get("pydantic")
        refusals = (ValueError,) if pydantic is None else (
            ValueError, pydantic.PydanticInvalidForJsonSchema, pydantic.PydanticSchemaGenerationError)
        if not isinstance(exc, refusals):
            raise
        return dict(_JSON_MODE)  # DSPy: "Failed to build structured output schema; using JSON mode"
    return {"type": "json_schema", "json_schema": {"name": "DSPyProgramOutputs", "strict": True, "schema": schema}}
