"""``dspex backends``: what is installed, what it serves, and what failed to load."""

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
        warnings.simplefilter("ignore")  # load errors are shown in the table instead
        rows = registry.backends()
    if args.json:
        print(json.dumps([b.as_dict() for b in rows], indent=2))
        return 0
    if not rows:
        print("no dspex backends installed (pip install dspex-native or dspex-dspy)")
        return 0
    table = [
        [b.name, b.distribution, b.version, "yes" if b.native else "no",
         ", ".join(b.module_types) or "-", b.error or ""]
        for b in rows
    ]
    print(render_table(["backend", "distribution", "version", "native", "module types", "error"], table))
    return 0
