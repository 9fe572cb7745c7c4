"""Fallback: a feature the native backend lacks is served by dspy, and the router says so.

Shows ``allow_fallback`` (on by default): native adapters do not render a ``ToolCalls`` inside a
list (the calls an agent made, turn by turn) yet, so
``ChainOfThought.create("question, turns: list[ToolCalls] -> answer")`` raises a ``CapabilityError``
there and the router
creates the module on the dspy backend instead, emitting a ``("dspex", "router", "fallback")``
telemetry event. The same request forced onto native, or made with ``allow_fallback=False``,
fails with that ``CapabilityError``. Input errors and LM errors never fall back. Needs
dspex-dspy (dspy 3.4).

    python examples/fallback.py [--lm openai/gpt-4o-mini]
"""

from typing import Any

import dspex_core as dspex
from _common import require_dspy, setup, short

#: A list of ToolCalls as an input: DSPy renders it as the calls' JSON, native's adapters do not render
#: a ToolCalls inside another type yet (a field typed ToolCalls itself, they do).
SPEC = "question, turns: list[ToolCalls] -> answer"
SIGNATURE = dspex.Signature(SPEC, custom_types={"ToolCalls": dspex.ToolCalls})
TURNS = [dspex.ToolCalls.from_dict_list([{"name": "search", "args": {"query": "XML"}}])]


def main() -> None:
    setup(__doc__.splitlines()[0])
    require_dspy("fallback.py")
    fallbacks: list[dict[str, Any]] = []
    handler = dspex.telemetry.attach(dspex.telemetry.FALLBACK, lambda event, measures, meta: fallbacks.append(meta))
    try:
        with dspex.context(telemetry_enabled=True):
            cot = dspex.ChainOfThought.create(SIGNATURE)
            pred = cot(question="What does XML stand for?", turns=TURNS)
    finally:
        dspex.telemetry.detach(dspex.telemetry.FALLBACK, handler)
    print(f"ChainOfThought({SPEC!r}) served by {cot.backend}: {short(pred.answer, 60)}")
    for meta in fallbacks:
        print(f"fallback event: {meta['operation']} {meta['module_type']} "
              f"{meta['from_implementation']} -> {meta['to_implementation']}: {short(meta['error'], 60)}")

    try:
        with dspex.context(allow_fallback=False):
            dspex.ChainOfThought.create(SIGNATURE)
    except dspex.CapabilityError as error:
        print(f"with allow_fallback=False: CapabilityError: {short(error, 70)}")


if __name__ == "__main__":
    main()
