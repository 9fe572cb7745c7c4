"""``python -m dspex_native.sandbox``: install the sandbox's runtime, then prove it works.

Deno downloads Pyodide (the npm package ``runner.js`` imports) from the npm registry into its
cache, ``DENO_DIR``, by starting the runner once with downloads allowed; the sandbox is then
started the way sessions start it (cached files only, no permission beyond reading Pyodide)
and runs ``1 + 1``. Later runs need no network. Exit code 0 when the sandbox is ready, 1 (and
what went wrong) otherwise.
"""

from __future__ import annotations

import sys


def main() -> int:
    from dspex_native.sandbox import pool, process, runtime
    from dspex_native.sandbox.interpreter import PyodideInterpreter
    from dspex_native.sandbox.results import SandboxError

    try:
        installer = runtime.installer()
        process.start(installer).close()
        checked = pool.check()
        with PyodideInterpreter(checked) as session:
            answer = session.execute("1 + 1")
    except (runtime.SandboxUnavailable, SandboxError) as exc:
        print(f"the program_of_thought sandbox is not ready: {exc}", file=sys.stderr)
        return 1
    finally:
        pool.close()
    if answer != 2:
        print(f"the program_of_thought sandbox answered {answer!r} to 1 + 1; it is not usable", file=sys.stderr)
        return 1
    print(f"the program_of_thought sandbox is ready: Deno {checked.deno}, Pyodide {runtime.pyodide_version()} "
          f"cached in {checked.cache}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
