"""The ``dspex`` command line.

Each sub-command lives in its own module of this package with ``add_parser(subparsers)``
and ``run(args) -> int``; they are imported only when their command runs, so ``dspex
--version`` stays instant. A command's ``run`` lets errors propagate: :func:`main` runs every
command through :mod:`dspex_core.cli._errors`, which checks the configuration first and turns
any error into one line on stderr and an exit code by error class (2 for the user's mistakes,
1 otherwise, 130 when interrupted), the same for every command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "backends": ("dspex_core.cli.backends", "list installed backends, versions and module types"),
    "plugins": ("dspex_core.cli.plugins", "list plugins and the hooks each implements"),
    "executors": ("dspex_core.cli.executors", "list executors (threads, asyncio, plugins') and load errors"),
    "module-types": ("dspex_core.cli.module_types", "list every module type, its facade and what it takes"),
    "demo": ("dspex_core.cli.demo", "run the demo pipeline across the installed backends"),
    "run": ("dspex_core.cli.run", "run a saved DSPy/dspex program on a chosen backend"),
    "render": ("dspex_core.cli.render", "show the request a saved program would send, without calling the LM"),
    "parity": ("dspex_core.cli.parity", "run the conformance kit against an installed backend"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    from dspex_core import __version__

    parser = argparse.ArgumentParser(prog="dspex", description="dspex: DSPy-style programs routed to backend plugins")
    parser.add_argument("--version", action="version", version=f"dspex {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text)
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        module.add_parser(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(args_list)
    if not args.command:  # as argparse reports a missing required argument: usage, one line, status 2
        parser.print_usage(sys.stderr)
        print(f"dspex: error: a command is required, one of: {', '.join(COMMANDS)} (dspex --help says what each "
              f"does)", file=sys.stderr)
        return 2
    from dspex_core.cli._errors import run_command

    def body() -> int:
        return importlib.import_module(COMMANDS[args.command][0]).run(args)

    return run_command(args.command, body, _secrets(args))


def _secrets(args: argparse.Namespace) -> list[str]:
    """What the command line gave that must never be printed: ``--api-key``, a password in ``--api-base``."""
    from dspex_core._redact import url_secrets

    found = [getattr(args, "api_key", None) or ""]
    found += url_secrets(getattr(args, "api_base", None))
    return [secret for secret in found if secret]
