"""The arguments that say which saved program to load and how, shared by ``dspex run`` and
``dspex render``: the file, ``--implementation``, ``--signature``, ``--module``, ``--predictor``,
``--adapter`` and the inputs (``--input name=value``, or a JSON object on stdin).

``--adapter`` exists because DSPy does not save a program's adapter: a program optimized under
``dspy.JSONAdapter`` runs as it was optimized only when told so. ``--predictor`` picks one named
predictor of a saved ``dspy.Module`` with several (``draft.predict``); such a file without it is
an :class:`~dspex_core.errors.InputError` listing the names.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_program_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", metavar="PROGRAM.json", help="a program saved with module.save('x.json')")
    parser.add_argument("--implementation", default="auto", metavar="BACKEND",
                        help="native, dspy, a third party's backend, or auto (default: the router decides)")
    parser.add_argument("--signature", metavar="SIG",
                        help='the signature, e.g. "question -> answer: int" (restores types; needed when the file '
                             "does not reveal its fields)")
    parser.add_argument("--module", choices=("predict", "chain_of_thought"),
                        help="the module type (default: from the file's shape)")
    parser.add_argument("--predictor", metavar="NAME",
                        help="one predictor of a saved module with several, by DSPy's name (e.g. draft.predict)")
    parser.add_argument("--adapter", choices=("chat", "json", "xml"),
                        help="the adapter the program runs with (DSPy does not save it; default: chat, with "
                             "DSPy's JSON retry)")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE",
                        help="an input field (repeatable); NAME:=JSON for a non-string value. "
                             "Without --input, a JSON object is read from stdin")


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


def read_inputs(args: argparse.Namespace) -> dict[str, Any]:
    """The inputs from ``--input`` pairs, else from a JSON object on a non-terminal stdin."""
    inputs = parse_inputs(args.input)
    if not args.input and not sys.stdin.isatty():
        inputs = read_stdin_inputs(sys.stdin)
    return inputs


def load_program(args: argparse.Namespace) -> Any:
    """The one module ``args`` name: ``dspex.load`` with the command's options."""
    import dspex_core as dspex
    from dspex_core._named_predictors import predictor_names
    from dspex_core.errors import CapabilityError, InputError
    from dspex_core.programs import detect_module_type, read_json

    data, name = read_json(args.program)
    if args.predictor is None and args.module is None:
        try:
            detect_module_type(data, name)
        except CapabilityError:  # a module's predictors: one runs at a time here
            names = predictor_names(data)
            if len(names) == 1:
                raise InputError(f"{name} holds one predictor, named {names[0]!r} (a dspy.Module of its own); "
                                 f"pass --predictor {names[0]}") from None
            raise InputError(f"{name} holds several predictors ({', '.join(names)}); pick one with "
                             f"--predictor NAME") from None
    options = {"adapter": args.adapter} if args.adapter else {}
    return dspex.load(args.program, module_type=args.module,
                      signature=args.signature, implementation=args.implementation, predictor=args.predictor,
                      **options)


def check_inputs_given(ref: Any, inputs: dict[str, Any]) -> None:
    from dspex_core.errors import InputError

    if not inputs and ref.spec.input_fields:
        raise InputError(f"no inputs given: pass --input name=value for {', '.join(ref.spec.input_fields)} "
                         f"(or a JSON object on stdin)")
