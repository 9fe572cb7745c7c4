"""A recursive language model (RLM) reading a context too long to paste into one prompt.

Shows ``dspex.RLM`` (DSPy's RLM through the dspy backend): the LM never gets the whole context in
its prompt; the inputs are variables in DSPy's sandbox (Deno + Pyodide, no host access), and at
each step the LM writes Python that looks at them (slices, searches, counts), may ask a sub-LM
about a piece with ``llm_query(...)``, and ends with ``SUBMIT(answer=...)``. The trajectory shows
each step's code and what it printed. ``sub_lm`` may name a cheaper model for the sub-queries.
The offline LM writes placeholder text instead of code, so offline the steps fail in the sandbox
and the answer comes from RLM's final extraction; on a real model the code does the reading.
Needs the sandbox once: ``python -m dspex_dspy.sandbox``.

    python examples/rlm_long_context.py [--lm openai/gpt-4o-mini]
"""

import sys

import dspex_core as dspex
from _common import load_corpus, require_dspy, setup, short


def main() -> None:
    setup(__doc__.splitlines()[0])
    require_dspy("RLM")
    context = "\n\n".join(load_corpus() * 20)  # a long document: the corpus, many times over
    try:
        rlm = dspex.RLM.create("context, question -> answer", max_iters=3, max_llm_calls=5)
    except dspex.CapabilityError as error:  # the sandbox cannot start here
        sys.exit(f"rlm_long_context.py: {error}")
    question = "In which year was the Eiffel Tower completed?"
    pred = rlm(context=context, question=question)
    print(f"RLM on {rlm.backend}: {len(pred.trajectory)} step(s) in the sandbox over a context of "
          f"{len(context)} characters")
    for index, step in enumerate(pred.trajectory):
        print(f"  step {index}: code {short(step['code'], 50)!r} -> {short(step['output'], 50)}")
    print(f"answer: {short(pred.answer, 80)}")


if __name__ == "__main__":
    main()
