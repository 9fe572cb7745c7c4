"""``python -m dspex_compat script.py [args]`` (or ``-m module [args]``): run a DSPy program on the layer."""

from __future__ import annotations

import os
import runpy
import sys

from dspex_compat._install import install

_USAGE = "usage: python -m dspex_compat SCRIPT.py [ARGS...] | -m MODULE [ARGS...]"


def main(argv: list[str] | None = None) -> int:
    """Install the layer, then run the script (or module) as ``__main__`` with its own arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not args else sys.stdout)
        return 2 if not args else 0
    install()
    if args[0] == "-m":
        if len(args) < 2:
            print(_USAGE, file=sys.stderr)
            return 2
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        # as `python script.py` does: the script's folder is searched for imports (after the layer)
        sys.path.insert(1, os.path.dirname(os.path.abspath(args[0])))
        runpy.run_path(args[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
