"""DSPy's REPL records: ``REPLVariable`` (an input as the LM sees it), ``REPLEntry`` (one step's
reasoning, code and output) and ``REPLHistory`` (the steps so far).

They are DSPy's frozen pydantic models whose serializer is their prompt text, so a history given
to a predictor (``repl_history=history``, a field typed ``REPLHistory``) is rendered by dspex as
DSPy renders it. This module imports pydantic: ``import dspy`` does not load it (``dspy.RLM`` and
``dspy.primitives.repl_types`` are imported on first use).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

try:
    import pydantic
    from pydantic import Field
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("dspy.RLM and its REPL records need pydantic, as DSPy's do: "
                      "pip install 'dspex-compat[rlm]' (or pydantic)") from exc

__all__ = ["REPLVariable", "REPLEntry", "REPLHistory", "serialize_for_json"]


def serialize_for_json(value: Any) -> Any:
    """``value`` in JSON form, as pydantic's ``dump_python(mode="json", fallback=str)`` gives it."""
    try:
        return pydantic.TypeAdapter(type(value)).dump_python(value, mode="json", fallback=str)
    except Exception:
        return str(value)


class REPLVariable(pydantic.BaseModel):
    """Metadata about a variable available in the REPL environment."""

    name: str
    type_name: str
    desc: str = ""
    constraints: str = ""
    total_length: int
    preview: str

    model_config = pydantic.ConfigDict(frozen=True)

    @classmethod
    def from_value(cls, name: str, value: Any, field_info: Any = None, preview_chars: int = 1000) -> "REPLVariable":
        """The variable for ``value``: its JSON (or ``str``) form's length and a head+tail preview,
        and the field's description and constraints (a placeholder ``${name}`` description is skipped)."""
        jsonable = serialize_for_json(value)
        value_str = json.dumps(jsonable, indent=2) if isinstance(jsonable, (dict, list)) else str(jsonable)
        if len(value_str) > preview_chars:
            head = preview_chars // 2
            tail = preview_chars - head if preview_chars > 0 else head
            preview = value_str[:head] + "..." + value_str[-tail:]
        else:
            preview = value_str
        desc = constraints = ""
        extra = getattr(field_info, "json_schema_extra", None) if field_info is not None else None
        if extra:
            raw_desc = extra.get("desc", "")
            if raw_desc and not raw_desc.startswith("${"):
                desc = raw_desc
            constraints = extra.get("constraints", "")
        return cls(name=name, type_name=type(value).__name__, desc=desc, constraints=constraints,
                   total_length=len(value_str), preview=preview)

    def format(self) -> str:
        """The variable as the action prompt lists it."""
        lines = [f"Variable: `{self.name}` (access it in your code)", f"Type: {self.type_name}"]
        if self.desc:
            lines.append(f"Description: {self.desc}")
        if self.constraints:
            lines.append(f"Constraints: {self.constraints}")
        lines.append(f"Total length: {self.total_length:,} characters")
        lines.append(f"Preview:\n```\n{self.preview}\n```")
        return "\n".join(lines)

    @pydantic.model_serializer()
    def serialize_model(self) -> str:
        return self.format()


class REPLEntry(pydantic.BaseModel):
    """A single REPL interaction: reasoning, code, and output."""

    reasoning: str = ""
    code: str
    output: str

    model_config = pydantic.ConfigDict(frozen=True)

    @staticmethod
    def format_output(output: str, max_output_chars: int = 10_000) -> str:
        """``output`` headed by its true length, its middle cut out past ``max_output_chars``."""
        raw_len = len(output)
        if raw_len > max_output_chars:
            head = max_output_chars // 2
            tail = max_output_chars - head if max_output_chars > 0 else head
            omitted = raw_len - max_output_chars
            output = output[:head] + f"\n\n... ({omitted:,} characters omitted) ...\n\n" + output[-tail:]
        return f"Output ({raw_len:,} chars):\n{output}"

    def format(self, index: int, max_output_chars: int = 10_000) -> str:
        """This entry as step ``index + 1`` of the prompt's history."""
        reasoning_line = f"Reasoning: {self.reasoning}\n" if self.reasoning else ""
        code_block = f"```python\n{self.code}\n```"
        return (f"=== Step {index + 1} ===\n{reasoning_line}Code:\n{code_block}\n"
                f"{self.format_output(self.output, max_output_chars)}")


class REPLHistory(pydantic.BaseModel):
    """The REPL steps so far. Immutable: :meth:`append` returns a new history."""

    entries: list[REPLEntry] = Field(default_factory=list)
    max_output_chars: int = 10_000

    model_config = pydantic.ConfigDict(frozen=True)

    def format(self) -> str:
        """The history as the prompt shows it."""
        if not self.entries:
            return "You have not interacted with the REPL environment yet."
        return "\n".join(entry.format(index=i, max_output_chars=self.max_output_chars)
                         for i, entry in enumerate(self.entries))

    @pydantic.model_serializer()
    def serialize_model(self) -> str:
        return self.format()

    def append(self, *, reasoning: str = "", code: str, output: str) -> "REPLHistory":
        """A new history with one more entry."""
        entry = REPLEntry(reasoning=reasoning, code=code, output=output)
        return REPLHistory(entries=[*self.entries, entry], max_output_chars=self.max_output_chars)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[REPLEntry]:  # type: ignore[override]
        return iter(self.entries)

    def __bool__(self) -> bool:
        return len(self.entries) > 0
