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

def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", metavar="PROGRAM.json", help="a program saved with module.save('x.json')")
    parser.add_argument("--implementation", default="auto", metavar="BACKEND",
                        help="native, dspy, a third party's backend, or auto (default: the router decides)")
    parser.add_argument("--signature", metavar="SIG",
                        help='the signature, e.g. "question -> answer: int" (restores types; needed when the file '
                             "does not reveal its fields)")
    parser.add_argument("--module", choices=("predict", "chain_of_thought"),
                        help="the module type (default: from the file's shape)")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE",
                        help="an input field (repeatable); NAME:=JSON for a non-string value. "
                             "Without --input, a JSON object is read from stdin")
    parser.add_argument("--explain", action="store_true",
                        help="say on stderr which backend served the program and how it was routed")
    add_lm_arguments(parser)


def parse_inputs(pairs: list[str]) -> dict[str, Any]:
    """``["a=x", "n:=3"]`` -> ``{"a": "x", "n": 3}``."""
    import json

    from dspex_core.errors import InputError

    inputs: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.rstrip(":"):
            raise InputError(f"--input {pair!r} should be name=value (or name:=JSON)")
        if name.endswith(":"):
            name = name[:-1]
            try:
                inputs[name] = json.loads(value)
            except ValueError as exc:
                raise InputError(f"--input {name}:= needs a JSON value, got {value!r} ({exc})") from None
        else:
            inputs[name] = value
    return inputs


def read_stdin_inputs(stream: Any) -> dict[str, Any]:
    """A JSON object from stdin (empty stdin means no inputs)."""
    import json

    from dspex_core.errors import InputError

    text = stream.read()
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"stdin is not valid JSON ({exc}); give a JSON object of inputs or use --input") from None
    if not isinstance(data, dict):
        raise InputError(f"stdin must hold a JSON object of inputs, got a {type(data).__name__}")
    return data


def run(args: argparse.Namespace) -> int:
    import json

    import dspex_core as dspex
    from dspex_core import telemetry
    from dspex_core._jsonable import jsonable
    from dspex_core.errors import InputError

    inputs = parse_inputs(args.input)
    if not args.input and not sys.stdin.isatty():
        inputs = read_stdin_inputs(sys.stdin)
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
            ref = dspex.load(args.program, module_type=args.module, signature=args.signature,
                             implementation=args.implementation)
            if isinstance(lm, dspex.OfflineLM) or args.explain:
                print(f"dspex run: LM {description}", file=sys.stderr)
            if not inputs and ref.spec.input_fields:
                raise InputError(f"no inputs given: pass --input name=value for {', '.join(ref.spec.input_fields)} "
                                 f"(or a JSON object on stdin)")
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
