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

When the sandbox cannot start (no Deno, Pyodide not downloadable and not cached),
:func:`check_sandbox` raises :class:`~dspex_core.errors.CapabilityError` saying exactly
why and what to do. dspex never falls back to an unsandboxed interpreter on its own.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import dspy
from dspex_core.errors import CapabilityError
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
def runner_path() -> str:
    """A copy of dspy's ``runner.js`` with the deno.land import inlined (made once)."""
    original = Path(dspy.primitives.python_interpreter.__file__).with_name("runner.js")
    text = original.read_text(encoding="utf-8")
    if _STD_IMPORT in text:
        text = text.replace(_STD_IMPORT, _INLINE_READLINES, 1)
    if any(line.startswith("import") and ("https://" in line or "http://" in line) for line in text.splitlines()):
        raise CapabilityError(
            "program_of_thought: this dspy's runner.js imports code from a web host dspex does not know how to "
            f"replace ({original}); the sandbox cannot be started from package registries alone"
        )
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = Path(os.environ.get("DSPEX_CACHE_DIR") or Path(tempfile.gettempdir()) / f"dspex-{os.getuid()}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"dspy-runner-{digest}.js"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        temp = target.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)
    return str(target)


class SandboxedInterpreter(PythonInterpreter):
    """``dspy.PythonInterpreter`` (Deno + Pyodide) running the registry-only runner copy."""

    def _get_runner_path(self) -> str:
        return runner_path()


def sandbox_factory(**interpreter_options: Any) -> Any:
    """A zero-argument factory of sandboxed interpreters (what ProgramOfThought takes)."""
    def factory() -> SandboxedInterpreter:
        return SandboxedInterpreter(**interpreter_options)

    return factory


_checked: dict[str, str | None] = {}


def check_sandbox() -> None:
    """Start the sandbox once and run ``1 + 1``; raise CapabilityError explaining a failure."""
    key = "default"
    if key not in _checked:
        _checked[key] = _probe()
    problem = _checked[key]
    if problem is not None:
        raise CapabilityError(problem)


def _probe() -> str | None:
    try:
        from deno import find_deno_bin  # noqa: F401
    except ImportError:
        return ("program_of_thought needs DSPy's sandboxed interpreter, which runs in Deno, and the 'deno' "
                f"distribution is not installed: {INSTALL_HINT}. dspex does not use an unsandboxed interpreter "
                "unless you pass interpreter=... yourself")
    interpreter = SandboxedInterpreter()
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
    print(f"the program_of_thought sandbox is ready: Pyodide is cached in {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
