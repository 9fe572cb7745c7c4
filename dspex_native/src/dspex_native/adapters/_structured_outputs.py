"""The JSON schema DSPy's JSONAdapter asks a model to follow (OpenAI's structured outputs).

DSPy builds a pydantic model ``DSPyProgramOutputs`` of the output fields (each with its
``default=``), closes every object and requires all its properties (``enforce_required``), and
dspy's LM then shapes the model's schema for strict mode (``_strict_json_schema``, the OpenAI
SDK's rules) before sending it. We build the same dict: by hand for builtin types, with pydantic
itself when an output is read through pydantic (a model, an Enum, a datetime, ...: its ``$defs``
and titles are pydantic's).
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import is_tool_calls_type

from dspex_native.adapters._types import json_schema, via_pydantic
from dspex_native.adapters._values import jsonable


def structured_output_schema(fmt: Any, native_function_calling: bool = True) -> dict[str, Any]:
    """The OpenAI structured-outputs schema DSPy builds from the output fields: pydantic's schema of a
    model ``DSPyProgramOutputs`` (each output with its ``default=``, extra properties forbidden),
    every object closed and all its properties required (``enforce_required``), then shaped for
    strict mode as dspy's LM sends it (``_strict_json_schema``). Built by hand for builtin types,
    by pydantic (``create_model``, as DSPy) when an output is read through pydantic. With
    ``native_function_calling`` (the JSONAdapter's default) a ToolCalls output is left out."""
    fields = fmt.signature.output_fields
    outputs = fmt.outputs
    if native_function_calling:  # DSPy leaves a ToolCalls output out: the calls come as tool_calls
        outputs = tuple((n, a) for n, a in outputs if not is_tool_calls_type(a))
    if any(via_pydantic(a) for _, a in outputs):
        import pydantic

        model = pydantic.create_model(
            "DSPyProgramOutputs", __config__=pydantic.ConfigDict(extra="forbid"),
            **{name: (a, fields[name].extra.get("default", ...)) for name, a in outputs})
        schema = model.model_json_schema()
    else:
        properties = {}
        for name, annotation in outputs:
            prop = dict(json_schema(annotation))
            if "default" in fields[name].extra:
                prop["default"] = jsonable(fields[name].extra["default"])
            prop["title"] = name.title().replace("_", " ").strip()  # pydantic's get_title_from_name
            properties[name] = prop
        # pydantic's "required" (outputs without a default) is replaced by enforce_required below
        schema = {"additionalProperties": False, "properties": properties, "title": "DSPyProgramOutputs",
                  "type": "object"}
    _enforce_required(schema)
    return _strict_json_schema(schema)


def _enforce_required(part: dict[str, Any]) -> None:
    """DSPy's ``enforce_required`` (in place): objects list all their properties as required and
    forbid others; arrays' items and ``$defs`` get the same."""
    if part.get("type") == "object":
        props = part.get("properties")
        if props is not None:
            part["required"] = list(props.keys())
            part["additionalProperties"] = False
            for sub in props.values():
                if isinstance(sub, dict):
                    _enforce_required(sub)
        else:
            part["properties"] = {}
            part["required"] = []
            part["additionalProperties"] = False
    if part.get("type") == "array" and isinstance(part.get("items"), dict):
        _enforce_required(part["items"])
    for key in ("$defs", "definitions"):
        if key in part:
            for sub in part[key].values():
                _enforce_required(sub)


def _strict_json_schema(schema: Any, root: dict | None = None) -> Any:
    """dspy's ``_strict_json_schema`` (the OpenAI SDK's ``to_strict_json_schema`` rules), which its LM
    applies to a pydantic ``response_format`` before sending it."""
    if not isinstance(schema, dict):
        return schema
    root = schema if root is None else root
    out = dict(schema)
    for key in ("$defs", "definitions"):
        if isinstance(out.get(key), dict):
            out[key] = {name: _strict_json_schema(sub, root) for name, sub in out[key].items()}
    if out.get("type") == "object" and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if isinstance(out.get("properties"), dict):
        out["required"] = list(out["properties"])
        out["properties"] = {name: _strict_json_schema(sub, root) for name, sub in out["properties"].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = _strict_json_schema(out["items"], root)
    if isinstance(out.get("anyOf"), list):
        out["anyOf"] = [_strict_json_schema(item, root) for item in out["anyOf"]]
    if isinstance(out.get("allOf"), list):
        if len(out["allOf"]) == 1:
            out.update(_strict_json_schema(out.pop("allOf")[0], root))
        else:
            out["allOf"] = [_strict_json_schema(item, root) for item in out["allOf"]]
    if "default" in out and out["default"] is None:
        del out["default"]
    ref = out.get("$ref")
    if isinstance(ref, str) and len(out) > 1:
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            out = {**_strict_json_schema(node, root), **{k: v for k, v in out.items() if k != "$ref"}}
    return out
