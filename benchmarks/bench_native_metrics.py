"""Native metrics and evaluate against dspy's, in one run (prints ratios).

Run with an environment that has dspy and the dspex distributions installed, e.g.
``/tmp/tox-<name>/parity/bin/python benchmarks/bench_native_metrics.py``.
"""

from __future__ import annotations

import logging
import time


def per_call(fn, n):
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    import dspy
    from dspy.evaluate import metrics as dm

    import dspex_core as dspex
    from dspex_native import answer_metrics as nm

    logging.disable(logging.CRITICAL)
    text = "The Eiffel Tower, in Paris — a café's naïve view of the 19th-century landmark!"
    passages = [text * 3, "Le Louvre est un musée à Paris."] * 3
    rows = []
    pairs = [
        ("normalize_text", lambda: nm.normalize_text(text), lambda: dm.normalize_text(text), 20000),
        ("f1", lambda: nm.f1(text, [text[:40]]), lambda: dm.F1(text, [text[:40]]), 20000),
        ("answer_exact_match", lambda: nm.answer_exact_match(dspex.Example(answer="eiffel tower"),
                                                             dspex.Prediction(answer=text)),
         lambda: dm.answer_exact_match(dspy.Example(answer="eiffel tower"), dspy.Prediction(answer=text)), 20000),
        ("passage_match", lambda: nm.passage_match(passages, ["louvre"]),
         lambda: dm._passage_match(passages, ["louvre"]), 3000),
    ]
    for name, native, theirs, n in pairs:
        rows.append((name, per_call(native, n), per_call(theirs, n)))

    size = 200
    ndev = [dspex.Example(q=str(i), answer=str(i)).with_inputs("q") for i in range(size)]
    ddev = [dspy.Example(q=str(i), answer=str(i)).with_inputs("q") for i in range(size)]
    native_eval = dspex.create("evaluate", implementation="native", devset=ndev, num_threads=4,
                               metric=lambda e, p: e.answer == p.answer, display_progress=False)
    dspy_eval = dspy.Evaluate(devset=ddev, num_threads=4, metric=lambda e, p: e.answer == p.answer,
                              display_progress=False)
    rows.append((f"evaluate ({size} examples, 4 threads)",
                 per_call(lambda: native_eval(program=lambda q: dspex.Prediction(answer=q)), 20),
                 per_call(lambda: dspy_eval(lambda q: dspy.Prediction(answer=q)), 20)))

    print("| operation | native | dspy | dspy / native |\n|---|---|---|---|")
    for name, native, theirs in rows:
        print(f"| {name} | {native * 1e6:.1f} µs | {theirs * 1e6:.1f} µs | {theirs / native:.1f}x |")


if __name__ == "__main__":
    main()
