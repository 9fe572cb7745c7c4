"""``dspex parity BACKEND``: run the conformance kit against an installed backend.

For each module type the kit covers it prints a table: one row per parity property with
the cases run, the cases on which the backend agreed with the reference, and the first
difference; then, for each difference, the full explanation and the minimal case hypothesis
shrank it to. Module types the backend registers that the kit has no property for are
listed as NOT COVERED (nothing about them was checked), in the tables' output and in
``--json`` (``"not_covered"``); a covered type that cannot run here (``program_of_thought``
without a sandbox on the backend or the reference) is SKIPPED with the reason and the install
command (``"skipped"``), never counted as agreeing. A property whose outcome changed when a
case was run again (a non-deterministic backend) is FLAKY, a failure, with what was seen
first (the difference, or the error the case raised) and the case. The known differences a
type's cases mask (``react``'s tool tracebacks, Refine's ``program_code``) or leave out (two of
COPRO's and MIPROv2's) are printed as notes under its table.
``--contract`` also runs the contract checks every backend owes (async twins, ``ModuleRef``
fields, bad input, telemetry, thread safety), one table per module type the backend serves,
even those the reference does not. Every run uses a seed, printed in the header and in
``--json`` (random unless ``--seed`` gives one), so a failing run can be repeated exactly; a
difference is shown in full (a unified diff of differing messages, whole field values), in the
tables' details and in ``--json``'s ``first_difference``. On a terminal, stderr shows what is
being checked while the run goes on. Exit status 0 when every
checked property agreed (and every contract check passed), 1 otherwise (also when nothing
could be checked), 2 for a usage problem (an ``InputError``: one line on stderr, as every
command reports errors).
"""

from __future__ import annotations

import argparse
import json


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("backend", help="the backend to check, as `dspex backends` names it")
    parser.add_argument("--reference", default="dspy", help="the backend to agree with (default: dspy)")
    parser.add_argument("--module-type", action="append", dest="module_types", metavar="TYPE",
                        help="check only this module type (repeatable; default: every type the kit covers)")
    parser.add_argument("--examples", type=int, default=None, metavar="N",
                        help="hypothesis examples per property (default: the profile's; "
                             "DSPEX_HYPOTHESIS_PROFILE=thorough for many more)")
    parser.add_argument("--seed", type=int, default=None,
                        help="hypothesis seed, to repeat a run exactly (default: a random one; every run prints it)")
    parser.add_argument("--contract", action="store_true",
                        help="also run the contract checks (async twins, ModuleRef, bad input, telemetry, threads)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def _cell(text: str, width: int = 70) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[:width - 3] + "..."


def run(args: argparse.Namespace) -> int:
    import warnings

    from dspex_core.errors import BackendNotInstalledError, InputError

    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise InputError("dspex parity needs hypothesis: pip install 'dspex-core[testing]'") from None
    from dspex_core import registry
    from dspex_core.cli._table import render_table
    from dspex_core.testing.conformance import KIT_MODULE_TYPES, check

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        installed = registry.installed_backends()
    for who in (args.backend, args.reference):
        if who not in installed:
            raise BackendNotInstalledError(f"backend {who!r} is not installed; installed: "
                                           f"{', '.join(installed) or 'none'}")
    unknown = [t for t in args.module_types or () if t not in KIT_MODULE_TYPES]
    if unknown:
        raise InputError(f"the kit has no properties for {', '.join(unknown)}; it covers {', '.join(KIT_MODULE_TYPES)}")
    if args.examples is not None and args.examples < 1:
        raise InputError("--examples must be at least 1")
    import contextlib
    import io
    import random

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    progress = _Progress(seed)
    # Backends may print (dspy's metrics do); keep their chatter out of the tables.
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reports = check(args.backend, reference=args.reference, module_types=args.module_types,
                            examples=args.examples, seed=seed, progress=progress.show)
            contracts = _contracts(args, seed, progress) if args.contract else []
    finally:
        progress.clear()
    checked = [r for r in reports if r.status not in ("not served", "not covered", "skipped")]
    uncovered = [r.module_type for r in reports if r.status == "not covered"]
    contract_ran = [c for c in contracts if c.status not in ("not served", "not applicable", "skipped")]
    ok = (bool(checked) or bool(contract_ran)) and all(r.passed for r in checked) and all(
        c.passed for c in contract_ran)
    if args.json:
        result = {"backend": args.backend, "reference": args.reference, "seed": seed, "ok": ok,
                  "not_covered": uncovered, "skipped": sorted({r.module_type for r in reports if r.status == "skipped"}),
                  "results": [r.as_dict() for r in reports]}
        if args.contract:
            result["contract"] = [c.as_dict() for c in contracts]
        print(json.dumps(result, indent=2))
        return 0 if ok else 1
    print(f"dspex parity: backend {args.backend!r} against reference {args.reference!r}, seed {seed} "
          f"(--seed {seed} repeats this run)\n")
    by_type: dict[str, list] = {}
    for report in reports:
        by_type.setdefault(report.module_type, []).append(report)
    details = []
    for module_type, rows in by_type.items():
        if all(r.status == "not covered" for r in rows):
            continue  # listed together below
        if all(r.status == "not served" for r in rows):
            print(f"{module_type}: not served ({rows[0].note})\n")
            continue
        if all(r.status == "skipped" for r in rows):
            print(f"{module_type}: SKIPPED, nothing was checked ({rows[0].note})\n")
            continue
        table = []
        for r in rows:
            first = (r.note.split("; ")[0] if r.status in ("error", "flaky") else
                     str(r.difference.summary) if r.difference else "-")
            table.append([r.prop, str(r.cases), str(r.agreed), r.status, _cell(first)])
            if r.status == "flaky":
                details.append(f"--- {module_type} / {r.prop}: FLAKY, not agreed (the case first seen) ---\n"
                               f"{r.note.split('; ')[0]}\n"
                               + (f"{r.difference}\n" if r.difference is not None else "")
                               + f"\ncase:\n{r.example or '(none recorded)'}\n")
            elif r.difference is not None:
                details.append(f"--- {module_type} / {r.prop}: first difference (minimal case) ---\n"
                               f"{r.difference}\n\ncase:\n{r.example}\n")
        print(module_type)
        print(render_table(["property", "cases", "agreed", "result", "first difference"], table))
        notes = sorted({part for r in rows if r.note and r.status != "error" for part in r.note.split("; ")
                        if not part.startswith("flaky, ")})
        for note in notes:
            print(f"  note: {note}")
        print()
    for block in details:
        print(block)
    if args.contract:
        _print_contracts(contracts)
    if uncovered:
        print(f"NOT COVERED by the kit, nothing was checked: {', '.join(uncovered)}\n"
              f"  ({args.backend!r} serves them, but the kit has no property for them: their parity with "
              f"{args.reference!r} is unknown)\n")
    skipped = sorted({r.module_type for r in reports if r.status == "skipped"})
    if skipped:
        print(f"SKIPPED, nothing was checked: {', '.join(skipped)} (see above)\n")
    if not checked:
        print("nothing was checked: the backend and the reference share no module type the kit covers")
    verdict = "all checked properties agree" if ok else "DIFFERENCES FOUND" if checked or contract_ran else "-"
    flaky = [f"{r.module_type}/{r.prop}" for r in checked if r.status == "flaky"]
    if flaky:
        verdict += f" (flaky, not agreed: {', '.join(flaky)})"
    if args.contract and ok:
        verdict += ", every contract check passed"
    if uncovered:
        verdict += f"; {len(uncovered)} module type{'s' if len(uncovered) > 1 else ''} not covered by the kit"
    print(f"result: {verdict}")
    return 0 if ok else 1


class _Progress:
    """What is being checked, on one line of stderr that is rewritten, when stderr is a terminal
    (a run takes 10-20 s and more); nothing otherwise, so that pipes and logs stay clean."""

    def __init__(self, seed: int):
        import sys

        self.stream = sys.stderr if sys.stderr.isatty() else None
        self.seed = seed

    def show(self, done: int, total: int, label: str) -> None:
        if self.stream is not None:
            self.stream.write(f"\r\x1b[Kdspex parity (seed {self.seed}): {done}/{total} checked, now {label}")
            self.stream.flush()

    def clear(self) -> None:
        if self.stream is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _contracts(args: argparse.Namespace, seed: int, progress: _Progress) -> list:
    """The contract checks for every module type the kit covers (or those asked for)."""
    from dspex_core.testing.conformance import KIT_MODULE_TYPES
    from dspex_core.testing.conformance._contract_runner import CONTRACT_CHECKS, check_contract

    plan = [(module_type, name) for module_type in args.module_types or KIT_MODULE_TYPES for name in CONTRACT_CHECKS]
    found = []
    for done, (module_type, name) in enumerate(plan):
        progress.show(done, len(plan), f"contract {module_type}/{name}")
        found.append(check_contract(args.backend, module_type, name, reference=args.reference,
                                    examples=args.examples, seed=seed))
    return found


def _print_contracts(contracts: list) -> None:
    from dspex_core.cli._table import render_table

    by_type: dict[str, list] = {}
    for report in contracts:
        by_type.setdefault(report.module_type, []).append(report)
    failures = []
    for module_type, rows in by_type.items():
        if all(r.status == "not served" for r in rows):
            continue  # said above, with the parity tables
        rows = [r for r in rows if r.status != "not served"]
        table = [[r.check, r.status, _cell(r.failure) if r.failure else "-"] for r in rows]
        print(f"{module_type}: contract")
        print(render_table(["check", "result", "first failure"], table))
        print()
        failures += [f"--- {module_type} / contract {r.check}: failure ---\n{r.failure}\n\ncase:\n{r.example or '-'}\n"
                     for r in rows if r.status == "failed"]
    for block in failures:
        print(block)
