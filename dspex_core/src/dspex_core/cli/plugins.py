"""``dspex plugins``: every plugin entry point and the hooks it implements."""

from __future__ import annotations

import argparse
import json

from dspex_core.cli._table import render_table


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    import warnings

    from dspex_core import registry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = registry.plugins()
    if args.json:
        print(json.dumps([p.as_dict() for p in rows], indent=2))
        return 0
    if not rows:
        print("no dspex plugins installed (pip install dspex-native or dspex-dspy)")
        return 0
    table = [[p.name, p.distribution, p.version, ", ".join(p.hooks) or "-", p.error or ""] for p in rows]
    print(render_table(["plugin", "distribution", "version", "hooks", "error"], table))
    return 0
