"""DSPy's sandboxed Python interpreter, made to work from package registries alone.

``dspy.PythonInterpreter`` runs code in Pyodide (CPython compiled to WebAssembly) inside a
Deno process with no file, network or environment access beyond what is granted. What it
needs, and where dspex gets it:

* **Deno**: the ``deno`` distribution on PyPI ships the binary; it is a dependency of
  dspex-dspy and dspy finds it (``deno.find_deno_bin()``).
* **Pyodide**: dspy's ``runner.js`` imports ``npm:pyodide@...``; Deno downloads it from the
  npm registry on first use and keeps it in its cache (``DENO_DIR``); later runs are
  offline.
* **A line reader**: ``runner.js`` also imports ``readLines`` from ``https://deno.land/std``,
  a host that is not a package registry (and not reachable on machines that only reach
  registries). :class:`SandboxedInterpreter` runs a copy of dspy's own runner in which
  that one import is replaced by an equivalent inline function; everything else (the
  Pyodide sandbox, Deno's permission flags) is dspy's, unchanged.

The runner copy lives in a folder only this process's user can write, made by
``tempfile.mkdtemp`` for this process (mode 0700, an unpredictable name) and removed at exit:
Deno reads the runner again at every start, so a runner in a shared, predictable folder could
be replaced by another local user between two starts (:func:`runner_path`).

The sandbox holds the code to the limits both backends share
(``dspex_core.backend.sandbox_limits``): V8 flags cap its memory, and a watchdog kills the Deno
process of code running past its time limit (DSPy's interpreter has neither).

When the sandbox cannot start (no Deno, Pyodide not downloadable and not cached),
:func:`check_sandbox` raises :class:`~dspex_core.errors.CapabilityError` saying exactly
why and what to do. dspex never falls back to an unsandboxed interpreter on its own.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

import dspy
from dspex_core.backend import sandbox_limits
from dspex_core.errors import CapabilityError
from dspy.primitives.code_interpreter import CodeExecutionError, CodeInterpreterError
from dspy.primitives.python_interpreter import PythonInterpreter

_STD_IMPORT = 'import { readLines } from "https://deno.land/std@0.186.0/io/mod.ts";'

# std/io readLines: an async iterator over the lines of a reader, without their "\n"/"\r\n".
_INLINE_READLINES = """// dspex: std/io's readLines, inlined (deno.land is not a package registry).
async function* readLines(reader) {
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(65536);
  let buffer = "";
  while (true) {
    const n = await reader.read(chunk);
    if (n === null) break;
    buffer += decoder.decode(chunk.subarray(0, n), { stream: true });
    let index;
    while ((index = buffer.indexOf("\\n")) >= 0) {
      let line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      if (line.endsWith("\\r")) line = line.slice(0, -1);
      yield line;
    }
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield buffer.endsWith("\\r") ? buffer.slice(0, -1) : buffer;
}"""

INSTALL_HINT = ('pip install dspex-dspy (it depends on the "deno" distribution, which ships Deno), then '
                "python -m dspex_dspy.sandbox, which downloads Pyodide from the npm registry into Deno's cache "
                "(DENO_DIR) once; later runs are offline. Behind a TLS-intercepting proxy set "
                "DENO_TLS_CA_STORE=system so that Deno trusts the system's certificates")


@functools.cache
def _runner_text() -> str:
    """dspy's ``runner.js`` with the deno.land import inlined."""
    original = Path(dspy.primitives.python_interpreter.__file__).with_name("runner.js")
    text = original.read_text(encoding="utf-8")
    if _STD_IMPORT in text:
        text = text.replace(_STD_IMPORT, _INLINE_READLINES, 1)
    if any(line.startswith("import") and ("https://" in line or "http://" in line) for line in text.splitlines()):
        raise CapabilityError(
            "program_of_thought: this dspy's runner.js imports code from a web host dspex does not know how to "
            f"replace ({original}); the sandbox cannot be started from package registries alone"
        )
    return text


_runner_lock = threading.Lock()
_runner: Path | None = None


def _private(folder: Path) -> bool:
    """Whether ``folder`` is a real folder (not a link) of this user that no one else may write."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    owner = getattr(os, "getuid", None)
    return (stat.S_ISDIR(info.st_mode) and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            and (owner is None or info.st_uid == owner()))


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def runner_path() -> str:
    """The runner copy (dspy's ``runner.js`` with the deno.land import inlined), in this process's
    private folder: made by ``tempfile.mkdtemp`` (mode 0700, a name no one can guess or take
    first), the file written with ``O_EXCL`` and mode 0600, the folder removed at exit. A folder
    that went away or stopped being private (owner, permissions) is replaced by a new one."""
    global _runner
    with _runner_lock:
        runner = _runner
        if runner is not None and _private(runner.parent) and runner.is_file():
            return str(runner)
        folder = Path(tempfile.mkdtemp(prefix="dspex-dspy-runner-"))
        if not _private(folder):  # pragma: no cover - mkdtemp makes it 0700 and ours
            _remove(folder)
            raise CapabilityError(f"program_of_thought: the sandbox's runner folder {folder} is not private to this "
                                  "user; set TMPDIR to a folder only you can write")
        runner = folder / "dspy-runner.js"
        descriptor = os.open(runner, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(_runner_text())
        if _runner is None:
            atexit.register(lambda: _runner is not None and _remove(_runner.parent))
        elif _runner.parent != folder:
            _remove(_runner.parent)
        _runner = runner
        return str(runner)


class SandboxedInterpreter(PythonInterpreter):
    """``dspy.PythonInterpreter`` (Deno + Pyodide) running the registry-only runner copy, held to
    ``limits`` (``dspex_core.backend.sandbox_limits.Limits``; the defaults when ``None``).

    Code running past ``limits.timeout`` has its Deno process killed and raises
    :class:`~dspex_core.errors.SandboxLimitError` (the session ends, as after any
    ``CodeInterpreterError``); so does code that fills the JavaScript heap. Python code asking
    for more memory than ``limits.memory_mb`` gets a ``MemoryError`` whose text names the limit,
    and the session goes on. Starting the process is not timed: only running code is.
    """

    def __init__(self, *args: Any, limits: sandbox_limits.Limits | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limits = limits if limits is not None else sandbox_limits.Limits()
        if self._uses_default_deno_command:
            self.deno_command[2:2] = sandbox_limits.deno_flags(self.limits)  # after "deno run"

    def _get_runner_path(self) -> str:
        return runner_path()

    def _kill(self) -> None:
        process = self.deno_process
        if process is not None and process.poll() is None:
            try:
                process.kill()
            except OSError:
                pass

    def _last_words(self) -> str:
        """What an ended Deno process wrote on stderr (V8 says there that it ran out of heap)."""
        process = self.deno_process
        if process is None or process.stderr is None or process.poll() is None:
            return ""
        try:
            return process.stderr.read()[-2000:]
        except (OSError, ValueError):
            return ""

    def execute(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        if self.deno_process is None:
            self.start()  # the process starts (and answers its health check) before the clock runs
        watchdog = sandbox_limits.Watchdog(self.limits.timeout, self._kill)
        try:
            result = super().execute(code, variables)
        except CodeExecutionError as exc:
            watchdog.stop()
            if watchdog.fired:
                self.shutdown()
                raise sandbox_limits.timeout_error(self.limits) from None
            if self.limits.memory_mb is not None and str(exc).strip() in ("MemoryError:", "MemoryError: []"):
                raise CodeExecutionError(sandbox_limits.memory_error_text(self.limits)) from None
            raise
        except CodeInterpreterError as exc:
            watchdog.stop()
            if watchdog.fired:
                raise sandbox_limits.timeout_error(self.limits) from None
            if self.limits.memory_mb is not None and sandbox_limits.out_of_memory(f"{exc} {self._last_words()}"):
                raise sandbox_limits.memory_error(self.limits) from None
            raise
        finally:
            watchdog.stop()
        if watchdog.fired:  # the answer came as the time ran out: the process is gone all the same
            self.shutdown()
            raise sandbox_limits.timeout_error(self.limits)
        return result


def sandbox_factory(limits: sandbox_limits.Limits | None = None, **interpreter_options: Any) -> Any:
    """A zero-argument factory of sandboxed interpreters held to ``limits`` (what ProgramOfThought takes)."""
    def factory() -> SandboxedInterpreter:
        return SandboxedInterpreter(limits=limits, **interpreter_options)

    return factory


_checked: dict[Any, str | None] = {}


def check_sandbox(limits: sandbox_limits.Limits | None = None) -> None:
    """Start the sandbox once (per memory limit, which is part of its command line) and run
    ``1 + 1``; raise CapabilityError explaining a failure."""
    limits = limits if limits is not None else sandbox_limits.Limits()
    key = limits.memory_mb
    if key not in _checked:
        _checked[key] = _probe(limits)
    problem = _checked[key]
    if problem is not None:
        raise CapabilityError(problem)


def _probe(limits: sandbox_limits.Limits | None = None) -> str | None:
    try:
        from deno import find_deno_bin  # noqa: F401
    except ImportError:
        return ("program_of_thought needs DSPy's sandboxed interpreter, which runs in Deno, and the 'deno' "
                f"distribution is not installed: {INSTALL_HINT}. dspex does not use an unsandboxed interpreter "
                "unless you pass interpreter=... yourself")
    interpreter = SandboxedInterpreter(limits=limits)
    try:
        result = interpreter.execute("1 + 1")
    except Exception as exc:  # the interpreter's errors carry Deno's own diagnostics
        detail = str(exc).strip().splitlines()
        hint = next((line for line in detail if "error" in line.lower()), detail[-1] if detail else "")
        return ("program_of_thought needs DSPy's sandboxed interpreter (Deno + Pyodide) and it could not start: "
                f"{type(exc).__name__}: {hint[:500]}. {INSTALL_HINT}; with no access to the npm registry, copy a "
                "DENO_DIR that has Pyodide cached. dspex does not fall back to an unsandboxed interpreter")
    finally:
        try:
            interpreter.shutdown()
        except Exception:
            pass
    if result != 2:
        return f"program_of_thought: the sandboxed interpreter answered {result!r} to 1 + 1; it is not usable"
    return None


def main() -> int:
    """``python -m dspex_dspy.sandbox``: install the sandbox's runtime (Pyodide into Deno's cache)
    by starting it once, so that later runs, tests included, need no network."""
    problem = _probe()
    if problem is not None:
        print(problem)
        return 1
    where = os.environ.get("DENO_DIR") or "Deno's default cache (~/.cache/deno)"
    print(f"the sandbox (program_of_thought, code_act, rlm, flex) is ready: Pyodide is cached in {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
