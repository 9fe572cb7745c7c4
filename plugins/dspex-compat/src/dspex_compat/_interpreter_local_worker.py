"""The worker process of :class:`~dspex_compat._interpreter_local.LocalInterpreter` (run as a script).

It keeps one Python namespace for its session and speaks JSON lines with the host on its own
copy of stdout (the code's stdout and stderr are captured around each execution):

* host -> worker: ``{"type": "execute", "code", "variables", "tools", "output_fields"}``,
  ``{"type": "shutdown"}``, and the answers to tool calls ``{"type": "tool_result"|"tool_error", "id", ...}``;
* worker -> host: ``{"type": "ready"}`` once, ``{"type": "tool_request", "id", "name", "args", "kwargs"}``
  while code runs, then one outcome: ``result`` (the last expression's value and the output),
  ``final`` (``SUBMIT``), ``syntax``, ``execution_error`` or ``terminal_error`` (the session ends,
  e.g. when the code left threads running).

Only the standard library is imported: the worker starts with ``python -I``.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import itertools
import json
import keyword
import os
import queue
import sys
import tempfile
import threading
from typing import Any

_RESERVED = {"SUBMIT", "__builtins__"}


class Submitted(BaseException):
    """Raised by SUBMIT: ends the code, carrying the outputs."""

    def __init__(self, value: Any) -> None:
        self.value = value


class Channel:
    """The JSON-lines connection to the host; tool answers go to the call waiting for them."""

    def __init__(self) -> None:
        self.out = os.fdopen(os.dup(sys.__stdout__.fileno()), "w", encoding="utf-8")
        os.set_inheritable(self.out.fileno(), False)
        sink = os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        os.close(sink)
        self.send_lock = threading.Lock()
        self.commands: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.waiting: dict[int, queue.Queue[dict[str, Any] | None]] = {}
        self.lock = threading.Lock()
        self.ids = itertools.count()
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, message: dict[str, Any]) -> None:
        with self.send_lock:
            print(json.dumps(message, separators=(",", ":"), allow_nan=False), file=self.out, flush=True)

    def _read(self) -> None:
        try:
            for line in sys.__stdin__:
                message = json.loads(line)
                if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                    raise ValueError("protocol messages must be tagged objects")
                if message["type"] in ("tool_result", "tool_error") and isinstance(message.get("id"), int):
                    with self.lock:
                        waiting = self.waiting.get(message["id"])
                    if waiting is None:
                        raise ValueError("response does not match a pending tool request")
                    waiting.put(message)
                else:
                    self.commands.put(message)
        except BaseException as exc:  # noqa: BLE001 - reported to the host as a protocol error
            self.commands.put({"type": "protocol_error", "error": describe(exc)})
            return
        self.commands.put(None)
        with self.lock:
            for waiting in self.waiting.values():
                waiting.put(None)

    def call_tool(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        request_id = next(self.ids)
        answer: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=1)
        with self.lock:
            self.waiting[request_id] = answer
        try:
            self.send({"type": "tool_request", "id": request_id, "name": name, "args": list(args), "kwargs": kwargs})
            message = answer.get()
        finally:
            with self.lock:
                self.waiting.pop(request_id, None)
        if message is None:
            raise EOFError("the host closed the connection")
        if message["type"] == "tool_error":
            raise RuntimeError(message.get("error"))
        return message.get("value")


class Captured:
    """The code's stdout and stderr (file descriptors too, so subprocess output is caught)."""

    def __init__(self) -> None:
        self.value = ""

    def __enter__(self) -> "Captured":
        self.file = tempfile.TemporaryFile()
        self.streams = sys.stdout, sys.stderr
        for stream in self.streams:
            with contextlib.suppress(Exception):
                stream.flush()
        self.saved = os.dup(1), os.dup(2)
        os.dup2(self.file.fileno(), 1)
        os.dup2(self.file.fileno(), 2)
        return self

    def __exit__(self, *_: Any) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = self.streams
        for fd, saved in zip((1, 2), self.saved):
            os.dup2(saved, fd)
            os.close(saved)
        self.file.seek(0)
        self.value = self.file.read().decode(errors="replace").rstrip("\n")
        self.file.close()


class Session:
    """The namespace code runs in, with the host's tools and SUBMIT as globals."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.own_threads = set(threading.enumerate())
        self.namespace: dict[str, Any] = {"__builtins__": vars(builtins).copy()}
        self.tool_names: set[str] = set()
        self.output_fields: list[dict[str, Any]] | None = None

    def configure(self, tool_names: list[str], output_fields: list[dict[str, Any]] | None) -> None:
        if any(not n.isidentifier() or keyword.iskeyword(n) or n in _RESERVED for n in tool_names):
            raise ValueError("tool names must be non-reserved Python identifiers")
        if output_fields is not None:
            names = [field.get("name") for field in output_fields]
            if any(not isinstance(n, str) or not n.isidentifier() or keyword.iskeyword(n) for n in names):
                raise ValueError("output field names must be Python identifiers")
            if len(names) != len(set(names)):
                raise ValueError("output field names must be unique")
        for name in self.tool_names:
            self.namespace.pop(name, None)
        self.tool_names = set(tool_names)
        self.output_fields = output_fields
        for name in tool_names:
            self.namespace[name] = self._tool(name)
        self.namespace["__builtins__"] = vars(builtins).copy()
        self.namespace["SUBMIT"] = self.submit

    def _tool(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            return self.channel.call_tool(name, args, kwargs)

        call.__name__ = name
        return call

    def submit(self, *args: Any, **kwargs: Any) -> None:
        if self.output_fields is None:
            if len(args) != 1 or kwargs:
                raise TypeError("SUBMIT requires one output value")
            raise Submitted({"output": args[0]})
        names = [field["name"] for field in self.output_fields]
        if args and kwargs:
            raise TypeError("SUBMIT accepts positional or keyword values, not both")
        values = dict(zip(names, args)) if args else dict(kwargs)
        if set(values) != set(names) or len(args) > len(names):
            raise TypeError("SUBMIT fields do not match the configured output fields")
        raise Submitted(values)

    def execute(self, request: dict[str, Any]) -> dict[str, Any]:
        self.configure(request["tools"], request.get("output_fields"))
        variables = request["variables"]
        if (_RESERVED | self.tool_names) & variables.keys():
            raise ValueError("variables cannot replace interpreter-owned globals")
        self.namespace.update(variables)
        with Captured() as captured:
            try:
                tree = ast.parse(request["code"], mode="exec")
                last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
                exec(compile(tree, "<interpreter>", "exec"), self.namespace)  # noqa: S102 - the worker's purpose
                value = eval(compile(ast.Expression(last.value), "<interpreter>", "eval"),  # noqa: S307
                             self.namespace) if last else None
                outcome: dict[str, Any] = {"type": "result", "value": jsonable(value)}
            except Submitted as submitted:
                outcome = {"type": "final", "value": jsonable(submitted.value)}
            except SyntaxError as exc:
                outcome = {"type": "syntax", "error": str(exc)}
            except BaseException as exc:  # noqa: BLE001 - the code's failure, reported to the host
                outcome = {"type": "execution_error", "error": describe(exc)}
        outcome["stdout"] = captured.value
        leaked = [thread.name for thread in threading.enumerate() if thread not in self.own_threads]
        if leaked:
            return {"type": "terminal_error", "error": f"executed code left background threads running: {leaked!r}"}
        return outcome


def jsonable(value: Any) -> Any:
    """``value`` when it is JSON, else its ``repr``."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return repr(value)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def main() -> None:
    channel = Channel()
    session = Session(channel)
    channel.send({"type": "ready"})
    try:
        while True:
            request = channel.commands.get()
            if request is None or request["type"] == "shutdown":
                return
            if request["type"] == "protocol_error":
                raise ValueError(request.get("error"))
            if request["type"] != "execute":
                raise ValueError("unknown request")
            response = session.execute(request)
            channel.send(response)
            if response["type"] == "terminal_error":
                return
    except BaseException as exc:  # noqa: BLE001 - the session ends; the host is told why
        channel.send({"type": "terminal_error", "error": describe(exc)})


if __name__ == "__main__":
    main()
