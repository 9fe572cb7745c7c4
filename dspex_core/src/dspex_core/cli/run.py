"""``dspex run PROGRAM.json``: run a program saved by plain DSPy (or by dspex) on any backend.

This is the migration story in one command: optimize with DSPy, ``program.save("x.json")``,
then serve it natively (``--implementation native``) with byte-identical prompts. The
program's module type and signature come from the file (:mod:`dspex_core.programs`);
``--signature`` restores field types, which DSPy does not save.

Inputs come from ``--input name=value`` (a string; ``name:=JSON`` for any JSON value) or,
with no ``--input`` and a non-terminal stdin, a JSON object on stdin. The prediction's fields
are printed to stdout as one JSON object; everything else (the offline-LM notice, and with
``--explain`` the serving backend and routing events) goes to stderr. Errors are one line on
stderr, as for every command (:mod:`dspex_core.cli._errors`): exit code 2 for bad input
(:class:`~dspex_core.errors.InputError`), 1 for anything else. API keys never appear in output.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dspex_core.cli._lm_choice import add_lm_arguments, choose_lm
from dspex_core.cli._program_args import add_program_arguments, check_inputs_given, load_program, read_inputs


def add_parser(parser: argparse.ArgumentParser) -> None:
    add_program_arguments(parser)
    parser.add_argument("--explain", action="store_true",
                        help="say on stderr which backend served the program and how it was routed")
    add_lm_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import json

    import dspex_core as dspex
    from dspex_core import telemetry
    from dspex_core._jsonable import jsonable

    inputs = read_inputs(args)
    lm, description = choose_lm(args)
    events: list[str] = []

    def remember(event: Any, measurements: Any, metadata: dict[str, Any]) -> None:
        shown = {k: v for k, v in metadata.items() if k != "timestamp"}
        events.append(f"{'.'.join(event)} {json.dumps(shown, default=str)}")

    watched = (telemetry.ROUTE, telemetry.FALLBACK) if args.explain else ()
    for event in watched:
        telemetry.attach(event, remember)
    try:
        with dspex.context(lm=lm):
            ref = load_program(args)
            if isinstance(lm, dspex.OfflineLM) or args.explain:
                print(f"dspex run: LM {description}", file=sys.stderr)
            check_inputs_given(ref, inputs)
            prediction = dspex.execute(ref, inputs)
    finally:
        for event in watched:
            telemetry.detach(event, remember)
    if args.explain:
        print(f"dspex run: {ref.module_type} {ref.spec.signature!r} served by backend {ref.backend!r}",
              file=sys.stderr)
        for line in events:
            print(f"dspex run: event {line}", file=sys.stderr)
    print(json.dumps(jsonable(dict(prediction.items())), ensure_ascii=False))
    return 0
