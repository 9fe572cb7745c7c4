"""DSPy's ``PythonInterpreter`` (Pyodide in Deno): its host side, without the sandbox session.

dspex runs LM-written code in its own sandbox (Pyodide in Deno, with time and memory limits),
but only inside its backends' modules: no public dspex API hands out an interpreter session
that host code drives ``execute`` by ``execute``. So the layer's ``PythonInterpreter`` is DSPy's
host half: it is made with DSPy's configuration (nothing is allocated until ``start``), holds the
``tools`` and ``callbacks``, answers the sandbox's tool calls (``invoke_tool``, and
``_handle_tool_call``'s JSON-RPC replies), fires the ``on_interpreter_*`` callbacks, and shuts down
(idempotently). ``start``/``execute`` raise a ``CapabilityError`` (a ``NotImplementedError``) that
says so and names the ways out: ``interpreter_factory=dspy.LocalInterpreter`` (a local CPython
worker, not a sandbox) or a factory of your own, on the module or with
``dspy.configure(interpreter_factory=...)``.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import dspex_core

from dspex_compat._callback import with_callbacks
from dspex_compat._interpreter_errors import CodeInterpreterError

__all__ = ["PythonInterpreter"]

#: DSPy's JSON-RPC error codes for a tool's failure, by the exception's type name.
_TOOL_ERROR_CODES = {"SyntaxError": -32000, "NameError": -32001, "TypeError": -32002, "ValueError": -32003,
                     "AttributeError": -32004, "IndexError": -32005, "KeyError": -32006, "RuntimeError": -32007,
                     "CodeInterpreterError": -32008}
_UNKNOWN_ERROR_CODE = -32099


def _not_built() -> dspex_core.CapabilityError:
    return dspex_core.CapabilityError(
        "dspy.PythonInterpreter cannot run code in dspex-compat yet (DSPy's Deno/Pyodide sandbox session): dspex's "
        "sandbox has no public interpreter API. Pass interpreter_factory=dspy.LocalInterpreter (a local "
        "CPython worker, not a sandbox) or another zero-argument callable that returns a CodeInterpreter to the "
        "module, or set it with dspy.configure(interpreter_factory=...)")


def _jsonable(value: Any) -> Any:
    """A tool's result as JSON values: models, dataclasses and named tuples become dicts, as DSPy sends them."""
    import dataclasses

    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "model_dump") and not isinstance(value, type):  # a pydantic model
        return _jsonable(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return _jsonable(value._asdict())
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    return value


class PythonInterpreter:
    """DSPy's Deno/Pyodide interpreter: configuration, tools and callbacks; running code is not built."""

    #: DSPy's description of this runtime, part of RLM's action prompt.
    execution_instructions = (
        "Python runs in Pyodide/WebAssembly. State persists across executions, but subprocesses and native "
        "extensions are unavailable. Python standard libraries such as re, json, collections, and math are available. "
        "Host filesystem, environment, and network access require explicit permission."
    )

    def __init__(self, deno_command: list[str] | None = None, enable_read_paths: list[Any] | None = None,
                 enable_write_paths: list[Any] | None = None, enable_env_vars: list[str] | None = None,
                 enable_network_access: list[str] | None = None, sync_files: bool = True,
                 tools: dict[str, Callable[..., Any]] | None = None, output_fields: list[dict] | None = None,
                 callbacks: list[Any] | None = None) -> None:
        if isinstance(deno_command, dict):
            raise TypeError("deno_command must be a list of strings, not a dict")
        self.enable_read_paths = enable_read_paths or []
        self.enable_write_paths = enable_write_paths or []
        mounts: dict[str, str] = {}
        for path in [*self.enable_read_paths, *self.enable_write_paths]:
            if path:
                host_path = os.path.realpath(os.path.expanduser(os.fspath(path)))
                if mounts.setdefault(os.path.basename(os.fspath(path)), host_path) != host_path:
                    raise CodeInterpreterError("Mounted files must have unique basenames inside the sandbox.")
        self.enable_env_vars = enable_env_vars or []
        self.enable_network_access = enable_network_access or []
        self.sync_files = sync_files
        self.tools = dict(tools) if tools else {}
        self.output_fields = output_fields
        self.callbacks = list(callbacks or [])
        self.deno_command = list(deno_command) if deno_command else None
        self.deno_process = None  # never started: the layer has no sandbox session
        self._session_ended = False

    @with_callbacks
    def start(self) -> None:
        """Start the sandbox (not built: raises ``CapabilityError``)."""
        if self._session_ended:
            raise CodeInterpreterError(
                "PythonInterpreter session has ended; create a new interpreter for a fresh session.")
        raise _not_built()

    @with_callbacks
    def execute(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        """Run ``code`` in the sandbox (not built: raises ``CapabilityError``)."""
        if self._session_ended:
            raise CodeInterpreterError(
                "PythonInterpreter session has ended; create a new interpreter for a fresh session.")
        raise _not_built()

    @with_callbacks
    def invoke_tool(self, tool_name: str, kwargs: dict[str, Any]) -> Any:
        """Call one of ``tools`` with keyword arguments (awaiting it when it is async)."""
        if tool_name not in self.tools:
            raise CodeInterpreterError(f"Unknown tool: {tool_name}")
        result = self.tools[tool_name](**kwargs)
        if hasattr(result, "__await__"):
            import asyncio

            return asyncio.run(result)
        return result

    def _handle_tool_call(self, request: dict[str, Any]) -> None:
        """Answer the sandbox's JSON-RPC tool call: the tool's result, or its failure as a JSON-RPC error."""
        import json

        request_id = request["id"]
        params = request.get("params", {})
        try:
            result = _jsonable(self.invoke_tool(params.get("name"), params.get("kwargs", {})))
            if result is None or isinstance(result, str):
                answer = {"value": "" if result is None else result, "type": "string"}
            else:
                try:
                    answer = {"value": json.dumps(result, allow_nan=False), "type": "json"}
                except (TypeError, ValueError):
                    answer = {"value": str(result), "type": "string"}
            response = json.dumps({"jsonrpc": "2.0", "result": answer, "id": request_id})
        except Exception as exc:  # noqa: BLE001 - the sandboxed code sees the tool's failure
            error_type = type(exc).__name__
            error = {"code": _TOOL_ERROR_CODES.get(error_type, _UNKNOWN_ERROR_CODE), "message": str(exc),
                     "data": {"type": error_type}}
            response = json.dumps({"jsonrpc": "2.0", "error": error, "id": request_id})
        self._write_message(response, "while returning a tool result")

    def _write_message(self, message: str, context: str) -> None:
        """Send one JSON-RPC line to the sandbox (there is none in the layer)."""
        raise CodeInterpreterError(f"PythonInterpreter has no running sandbox to write to {context}.")

    @with_callbacks
    def shutdown(self) -> None:
        """End the session (safe to call more than once)."""
        self._session_ended = True
        self.deno_process = None

    def __enter__(self) -> "PythonInterpreter":
        return self

    def __exit__(self, *_: Any) -> None:
        self.shutdown()

    def __call__(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        return self.execute(code, variables)
