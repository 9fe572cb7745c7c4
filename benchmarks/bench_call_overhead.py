"""The per-call cost of a native Predict on an in-process LM, with no listener, tracker or plugin.

What a call costs in dspex itself (router, usage bookkeeping, callbacks check, prompt, parse): the
LM is an object that returns a fixed reply at once. Run it in two environments to compare two trees
(e.g. before and after a change to the call path), alternating a few times; the best of each is
the figure::

    python benchmarks/bench_call_overhead.py            # best and median of 7 x 20000 calls, in µs
"""

from __future__ import annotations

import statistics
import time

import dspex_core as dspex

REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"


class InProcessLM:
    """Answers at once; reports no usage (a custom LM)."""

    model = "fixed"

    def __call__(self, messages: list, **settings: object) -> list[str]:
        return [REPLY]


def main() -> None:
    predict = dspex.Predict.create("question -> answer", implementation="native", lm=InProcessLM())
    for _ in range(2000):
        predict(question="q")
    runs = []
    for _ in range(7):
        calls = 20000
        start = time.perf_counter()
        for _ in range(calls):
            predict(question="q")
        runs.append((time.perf_counter() - start) / calls * 1e6)
    print(f"native Predict per call: {min(runs):.2f} µs best, {statistics.median(runs):.2f} µs median")


if __name__ == "__main__":
    main()
