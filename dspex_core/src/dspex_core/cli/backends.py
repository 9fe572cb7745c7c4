"""``dspex backends``: what is installed, what it serves, and what failed to load."""

from __future__ import annotations

import argparse
import json

from dspex_core.cli._table import render_table


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--markdown", action="store_true",
                        help="print which backend serves each module type as a Markdown table (the README's)")


def run(args: argparse.Namespace) -> int:
    import warnings

    from dspex_core import registry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load errors are shown in the table instead
        rows = registry.backends()
    if args.markdown:
        print(module_type_table(rows))
        return 0
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
    print(render_table(["backend", "distribution", "version", "native", "module types", "error"], table,
                       wrap={4: 64}))
    groups = not_built_groups(rows)
    if groups:
        print(f"\n{NOT_BUILT_TITLE}:")
        for backend, module_types, features in groups:
            print(f"  {backend}: {', '.join(module_types)}")
            for feature in features:
                print(f"    - {feature}")
    return 0


NOT_BUILT_TITLE = "not built yet (asking for one raises CapabilityError, a NotImplementedError, naming it)"


def not_built_groups(rows: list) -> list[tuple[str, list[str], list[str]]]:
    """``(backend, module types, features)``: each backend's ``not_implemented`` declarations,
    module types with the same list of features together, in registration order."""
    groups: list[tuple[str, list[str], list[str]]] = []
    for b in rows:
        if b.error:
            continue
        mine: dict[tuple[str, ...], list[str]] = {}
        for module_type in b.module_types:
            features = tuple(b.not_implemented.get(module_type, ()))
            if features:
                mine.setdefault(features, []).append(module_type)
        groups += [(b.name, types, list(features)) for features, types in mine.items()]
    return groups


def module_type_table(rows: list) -> str:
    """Module types down, backends across; ``auto`` is the backend the router picks by default.

    Generated from the registry, so the README's table cannot drift from what is installed.
    """
    from dspex_core import registry
    from dspex_core._router import describe_choice

    served = [b for b in rows if not b.error and b.module_types]
    module_types = sorted({t for b in served for t in b.module_types})
    from dspex_core.modules import facade_names

    facades = facade_names()
    header = "| module type | facade | " + " | ".join(b.name for b in served) + " | auto picks |"
    lines = [header, "|" + "---|" * (len(served) + 3)]
    for module_type in module_types:
        cells = ["yes" if module_type in b.module_types else "" for b in served]
        choice = describe_choice(module_type)["candidates"][0] if registry.candidates(module_type) else ""
        facade = f"`dspex.{facades[module_type]}`" if module_type in facades else ""
        lines.append(f"| `{module_type}` | {facade} | " + " | ".join(cells) + f" | {choice} |")
    groups = not_built_groups(served)
    if groups:
        lines += ["", "Not built yet (asking for one raises `CapabilityError`, a `NotImplementedError`, naming it):", ""]
        for backend, module_types, features in groups:
            lines.append(f"- {backend}, {', '.join(f'`{t}`' for t in module_types)}: " + "; ".join(features))
    return "\n".join(lines)
