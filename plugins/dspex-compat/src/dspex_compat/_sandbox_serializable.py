"""DSPy's ``SandboxSerializable``: a value that enters RLM's REPL by code of its own.

A subclass says how its value is set up in the sandbox (``sandbox_setup``: imports run once),
serialized (``to_sandbox``: bytes), rebuilt there (``sandbox_assignment``) and shown to the LM
(``rlm_preview``). RLM sends the bytes as a variable (base64 when they are not UTF-8) and runs
the setup and assignment before the first step; the variable listing shows the preview and
the setup, so the LM knows which names are bound.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dspex_compat._repl_types import REPLVariable

__all__ = ["SandboxSerializable", "build_repl_variable"]


class SandboxSerializable(ABC):
    """Abstract base for types that RLM injects into its sandbox (subclass it: nominal typing only)."""

    @abstractmethod
    def sandbox_setup(self) -> str: ...

    @abstractmethod
    def to_sandbox(self) -> bytes: ...

    @abstractmethod
    def sandbox_assignment(self, var_name: str, data_expr: str) -> str: ...

    @abstractmethod
    def rlm_preview(self, max_chars: int = 500) -> str: ...

    @classmethod
    def __get_pydantic_core_schema__(cls, source_type: Any, handler: Any) -> Any:
        """Pass-through schema, so pydantic-based code accepts the type as an annotation."""
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            lambda v: v, serialization=core_schema.plain_serializer_function_ser_schema(lambda v: str(v)))

    def to_repl_variable(self, name: str, field_info: Any = None) -> REPLVariable:
        """The variable RLM lists for this value (:func:`build_repl_variable`)."""
        return build_repl_variable(self, name, field_info=field_info)


def build_repl_variable(obj: SandboxSerializable, name: str, field_info: Any = None) -> REPLVariable:
    """A ``REPLVariable`` whose preview is ``rlm_preview()`` and whose description ends with the
    sandbox setup (the imports bound in the REPL)."""
    from dspex_compat._repl_types import REPLVariable

    preview = obj.rlm_preview()
    var = REPLVariable.from_value(name, obj, field_info=field_info)
    setup = obj.sandbox_setup().strip()
    desc = var.desc
    if setup:
        note = f"Sandbox imports available:\n{setup}"
        desc = f"{desc}\n{note}" if desc else note
    return var.model_copy(update={"preview": preview, "total_length": len(preview), "desc": desc})
