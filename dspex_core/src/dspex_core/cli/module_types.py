"""``dspex module-types``: every module type dspex knows, from the one table of module types.

It answers "what can I create, and by which facade?" without building the registry, and its
``--markdown`` output is the index at the top of docs/module-types.md (a test compares them).
"""

from __future__ import annotations

import argparse
import json


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--markdown", action="store_true",
                        help="print the Markdown index of docs/module-types.md")


def run(args: argparse.Namespace) -> int:
    from dspex_core.backend import module_types

    rows = list(module_types().values())
    if args.json:
        print(json.dumps([{"name": r.name, "facade": r.facade, "kind": r.kind, "spec": r.spec,
                           "extra_inputs": list(r.extra_inputs), "extra_outputs": list(r.extra_outputs),
                           "saved_predictor": r.saved_predictor, "summary": r.summary} for r in rows], indent=2))
        return 0
    if args.markdown:
        print(markdown_index())
        return 0
    from dspex_core.cli._table import render_table

    table = [[r.name, f"dspex.{r.facade}" if r.facade else "-", r.kind, r.spec, _adds(r), r.summary] for r in rows]
    print(render_table(["module type", "facade", "kind", "create takes", "adds", "what it is"], table,
                       wrap={5: 60}))
    return 0


def _adds(row: object) -> str:
    inputs = [f"reads {name}" for name in row.extra_inputs]  # type: ignore[attr-defined]
    outputs = list(row.extra_outputs)  # type: ignore[attr-defined]
    return ", ".join(inputs + outputs) or "-"


def markdown_index() -> str:
    """The module-type table as Markdown: one row per type, in the table's order."""
    from dspex_core.backend import module_types

    lines = ["| module type | facade | kind | `create` takes | adds | what it is |", "|---|---|---|---|---|---|"]
    for row in module_types().values():
        facade = f"`dspex.{row.facade}`" if row.facade else "(none yet)"
        adds = ", ".join([f"reads `{n}`" for n in row.extra_inputs] + [f"`{n}`" for n in row.extra_outputs]) or ""
        lines.append(f"| `{row.name}` | {facade} | {row.kind} | {row.spec} | {adds} | {row.summary} |")
    return "\n".join(lines)
