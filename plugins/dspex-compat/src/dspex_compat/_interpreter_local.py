"""DSPy's ``LocalInterpreter``: code runs in a persistent local CPython worker process.

The worker (:mod:`._interpreter_local_worker`, started with ``python -I``) keeps the session's
namespace; the host sends each ``execute`` as a JSON line and answers the worker's tool calls
(each on a thread of its own, in the caller's context) until the outcome comes back. Variables,
tool arguments and results, and SUBMIT's values cross as JSON. This separates generated code from
the host's memory, stdout and lifecycle, but it is not a security sandbox: the worker has the
user's files, environment, network and processes.

``execution_timeout`` (seconds, ``None`` for none) bounds one execution, tool calls included; a
timeout kills the worker and ends the session, as do protocol failures (``CodeInterpreterError``).
The code's own failures are ``CodeExecutionError``/``SyntaxError`` and the session goes on.
``start``, ``execute``, ``invoke_tool`` and ``shutdown`` fire DSPy's interpreter callbacks
(``on_interpreter_*``: the configured ones and the instance's ``callbacks``), as DSPy's do.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import json
import keyword
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from pathlib import Path
from typing import Any, Callable, NoReturn

from dspex_compat._callback import with_callbacks
from dspex_compat._interpreter import CodeExecutionError, CodeInterpreterError, FinalOutput

__all__ = ["LocalInterpreter"]

_WORKER = Path(__file__).with_name("_interpreter_local_worker.py")
_RESERVED = {"SUBMIT", "__builtins__"}
_START_SECONDS = 10


def _in_thread(function: Callable[[], Any]) -> Future:
    outcome: Future = Future()

    def run() -> None:
        try:
            outcome.set_result(function())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
            outcome.set_exception(exc)

    threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True).start()
    return outcome


def _await_in_sync(awaitable: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(awaitable)
    return _in_thread(lambda: asyncio.run(awaitable)).result()


def _bad_names(names: Any, also: set[str] = frozenset()) -> list[Any]:
    return [n for n in names if not isinstance(n, str) or not n.isidentifier() or keyword.iskeyword(n)
            or n in _RESERVED or n in also]


class LocalInterpreter:
    """Execute Python in a persistent local subprocess (DSPy's ``dspy.LocalInterpreter``; not a sandbox)."""

    #: DSPy's description of this runtime, part of RLM's action prompt.
    execution_instructions = (
        "Code runs as Python in a persistent local subprocess. State, imports, functions, and JSON-compatible "
        "variables persist for this session. Host tools and SUBMIT are available as global functions. All threads "
        "must finish before each code execution returns; use context-managed executors for parallel work."
    )

    def __init__(self, tools: dict[str, Callable[..., Any]] | None = None,
                 output_fields: list[dict[str, Any]] | None = None, *, execution_timeout: float | None = None,
                 callbacks: list[Any] | None = None) -> None:
        if execution_timeout is not None and execution_timeout <= 0:
            raise ValueError("execution_timeout must be positive or None")
        self._check_tool_names(tools or {})
        self.tools = dict(tools or {})
        fields = None if output_fields is None else [dict(field) for field in output_fields]
        self._check_output_fields(fields)
        self.output_fields = fields
        self.execution_timeout = execution_timeout
        self.callbacks = list(callbacks or [])
        self._process: subprocess.Popen | None = None
        self._lines: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._ended = False

    @staticmethod
    def _check_tool_names(tools: dict[str, Any]) -> None:
        invalid = _bad_names(tools)
        if invalid:
            raise ValueError(f"tool names must be non-reserved Python identifiers; invalid names: {invalid!r}")

    @staticmethod
    def _check_output_fields(output_fields: list[dict[str, Any]] | None) -> None:
        if output_fields is None:
            return
        names = [field.get("name") if isinstance(field, dict) else None for field in output_fields]
        if any(not isinstance(n, str) or not n.isidentifier() or keyword.iskeyword(n) for n in names):
            raise ValueError("output field names must be non-keyword Python identifiers")
        if len(names) != len(set(names)):
            raise ValueError("output field names must be unique")
        try:
            json.dumps(output_fields, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"output fields must be JSON-compatible: {exc}") from exc

    # -- the worker process -------------------------------------------------------------------
    @with_callbacks
    def start(self) -> None:
        """Start the worker (nothing to do when it runs already)."""
        if self._ended:
            raise CodeInterpreterError("LocalInterpreter session has been shut down.")
        if self._process is not None:
            return
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", str(_WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True, start_new_session=os.name == "posix",
                creationflags=subprocess.CREATE_NEW_PROCESS_GROUP if os.name == "nt" else 0)
        except OSError as exc:
            raise CodeInterpreterError(f"Unable to start Python worker: {exc}") from exc
        self._process = process
        threading.Thread(target=self._read, args=(process,), daemon=True).start()
        message = self._receive(time.monotonic() + _START_SECONDS,
                                f"Python worker did not start within {_START_SECONDS} seconds.")
        if message.get("type") != "ready":
            self._fail(f"Python worker returned an invalid startup message: {message!r}")

    def _read(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _send(self, message: dict[str, Any], process: subprocess.Popen | None = None) -> None:
        with self._send_lock:
            current = self._process
            if process is not None and current is not process:
                return  # a tool answered after its worker was gone
            assert current is not None and current.stdin is not None
            try:
                print(json.dumps(message, separators=(",", ":"), allow_nan=False), file=current.stdin, flush=True)
            except (OSError, TypeError, ValueError) as exc:
                self._fail(f"Unable to send request to Python worker: {exc}", exc)

    def _receive(self, deadline: float | None, timeout_message: str) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=None if deadline is None else max(0, deadline - time.monotonic()))
        except queue.Empty:
            self._fail(timeout_message)
        if line is None:
            self._fail("Python worker exited unexpectedly.")
        if isinstance(line, BaseException):
            self.shutdown()
            raise line
        try:
            message = json.loads(line)
        except json.JSONDecodeError as exc:
            self._fail(f"Python worker returned invalid JSON: {line!r}", exc)
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self._fail(f"Python worker returned an invalid message: {message!r}")
        return message

    def _fail(self, message: str, cause: BaseException | None = None) -> NoReturn:
        """End the session (its state is gone) and raise ``CodeInterpreterError``."""
        self._ended = True
        self._kill()
        raise CodeInterpreterError(message) from cause

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if os.name == "posix":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=1)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    # -- tools ----------------------------------------------------------------------------------
    @with_callbacks
    def invoke_tool(self, tool_name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Call one of the registered host tools (awaiting it when it is async)."""
        if tool_name not in self.tools:
            raise CodeInterpreterError(f"Unknown tool: {tool_name}")
        result = self.tools[tool_name](*args, **kwargs)
        return _await_in_sync(result) if inspect.isawaitable(result) else result

    def _answer_tool(self, request: dict[str, Any], process: subprocess.Popen) -> None:
        try:
            value = self.invoke_tool(request["name"], request.get("args", []), request.get("kwargs", {}))
            json.dumps(value, allow_nan=False)
            response = {"type": "tool_result", "id": request["id"], "value": value}
        except Exception as exc:  # noqa: BLE001 - the code sees the tool's failure
            response = {"type": "tool_error", "id": request["id"], "error": f"{type(exc).__name__}: {exc}"}
        except BaseException as exc:  # interrupts reach the caller (the worker waits for this answer)
            self._lines.put(exc)
            return
        self._send(response, process)

    # -- execution ------------------------------------------------------------------------------
    @with_callbacks
    def execute(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        """Run ``code`` in the worker's namespace with ``variables`` (JSON values) set first."""
        if not self._lock.acquire(blocking=False):
            raise CodeInterpreterError("LocalInterpreter already has an active execution.")
        try:
            return self._execute(code, {} if variables is None else variables)
        finally:
            self._lock.release()

    def _execute(self, code: str, variables: Any) -> Any:
        self._check_tool_names(self.tools)
        self._check_output_fields(self.output_fields)
        if not isinstance(code, str):
            raise CodeInterpreterError("code must be a string")
        if not isinstance(variables, dict):
            raise CodeInterpreterError("variables must map Python identifiers to JSON-compatible values")
        invalid = _bad_names(variables, set(self.tools))
        if invalid:
            raise CodeInterpreterError("variable names must be non-reserved Python identifiers distinct from tool "
                                       f"names; invalid names: {invalid!r}")
        try:
            json.dumps(variables, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise CodeInterpreterError(f"variables must be JSON-compatible: {exc}") from exc
        if self._process is None:
            self.start()
        deadline = None if self.execution_timeout is None else time.monotonic() + self.execution_timeout
        self._send({"type": "execute", "code": code, "variables": variables, "tools": list(self.tools),
                    "output_fields": self.output_fields})
        timeout_message = ("Python worker did not respond." if self.execution_timeout is None else
                           f"Python worker exceeded execution timeout of {self.execution_timeout:g} seconds.")
        process = self._process
        assert process is not None
        tool_calls = []
        message = self._receive(deadline, timeout_message)
        while message.get("type") == "tool_request":
            tool_calls.append(_in_thread(lambda request=message: self._answer_tool(request, process)))
            message = self._receive(deadline, timeout_message)
        for call in tool_calls:
            try:
                call.result(None if deadline is None else max(0, deadline - time.monotonic()))
            except FutureTimeoutError:
                self._fail(timeout_message)
        kind = message.get("type")
        if kind == "terminal_error":
            self._fail(f"Python worker failed: {message.get('error')}")
        if kind == "syntax":
            raise SyntaxError(message.get("error"))
        if kind == "execution_error":
            raise CodeExecutionError(message.get("error"))
        if kind == "final":
            return FinalOutput(message.get("value"))
        if kind == "result":
            value, stdout = message.get("value"), message.get("stdout")
            return value if value is not None else (stdout or None)
        self._fail(f"Python worker returned an unknown message: {message!r}")

    @with_callbacks
    def shutdown(self) -> None:
        """End the worker and its session state (safe to call more than once)."""
        if self._ended:
            return
        self._ended = True
        self._kill()

    def __enter__(self) -> "LocalInterpreter":
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.shutdown()

    def __call__(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        return self.execute(code, variables)
