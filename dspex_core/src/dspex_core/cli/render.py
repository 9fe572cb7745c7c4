"""``dspex render PROGRAM.json --input k=v``: the request a saved program's next call would send,
without calling the LM.

It loads the program as ``dspex run`` does (the same arguments: ``--implementation``,
``--signature``, ``--module``, ``--predictor``, ``--adapter``, the LM options and the inputs) and
prints ``ref.render(**inputs)`` as JSON on stdout: ``{"messages": [...], "settings": {...},
"model": ...}``, the messages byte for byte as the LM would receive them (the backend renders
with its own adapter). The LM is never called, so no key is needed for a provider model, and
none is ever printed; which LM was assumed goes to stderr when it is the offline one.
"""

from __future__ import annotations

import argparse
import sys

from dspex_core.cli._lm_choice import add_lm_arguments, choose_lm
from dspex_core.cli._program_args import add_program_arguments, check_inputs_given, load_program, read_inputs


def add_parser(parser: argparse.ArgumentParser) -> None:
    add_program_arguments(parser)
    add_lm_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import json

    import dspex_core as dspex

    inputs = read_inputs(args)
    lm, description = choose_lm(args)
    with dspex.context(lm=lm):
        ref = load_program(args)
        check_inputs_given(ref, inputs)
        shown = ref.render(**inputs)
    if isinstance(lm, dspex.OfflineLM):
        print(f"dspex render: LM {description}", file=sys.stderr)
    print(json.dumps(shown, indent=2, ensure_ascii=False, default=str))
    return 0
