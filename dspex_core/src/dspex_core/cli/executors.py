"""``dspex executors``: the executors that can run many calls (``threads``, ``asyncio``, plugins'),
who registered each, the configured one, and any plugin that failed to load."""

from __future__ import annotations

import argparse
import json

from dspex_core.cli._table import render_table


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    import warnings

    from dspex_core import registry, settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load errors are shown in the table instead
        rows = registry.executors()
    configured = settings().executor
    if args.json:
        print(json.dumps([{**e.as_dict(), "configured": e.error is None and e.name == configured} for e in rows],
                         indent=2))
        return 0
    table = [[e.name + (" *" if e.error is None and e.name == configured else ""), e.distribution, e.version,
              e.error or ""] for e in rows]
    print(render_table(["executor", "distribution", "version", "error"], table))
    print("\n* the configured executor (dspex.configure(executor=...), DSPEX_EXECUTOR, [tool.dspex] executor)")
    return 0
