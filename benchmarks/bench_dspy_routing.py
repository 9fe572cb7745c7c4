"""What routing through dspex costs on the dspy backend, per call, over calling dspy directly.

Both sides run the *same* stored ``dspy.Predict`` / ``dspy.ChainOfThought`` object with the
*same* zero-latency in-process LM (dspex's ``CustomLM`` around a function returning a fixed
reply) inside ``dspy.context(lm=..., adapter=...)``, so the difference is dspex alone: the
``ModuleRef`` call, the router's execute path, the store look-up, LM resolution, input
checks and the conversion of dspy's ``Prediction`` to dspex's.

Target (issue #4): at most 5% or 10 µs per call, whichever is larger.

    python benchmarks/bench_dspy_routing.py [--calls 2000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings


def reply_for(module_type: str) -> str:
    fields = (["reasoning"] if module_type == "chain_of_thought" else []) + ["answer"]
    return "\n\n".join(f"[[ ## {f} ## ]]\n{f} text" for f in fields) + "\n\n[[ ## completed ## ]]"


def measure(fn, calls: int, repeats: int) -> float:
    """Median over ``repeats`` of the mean seconds per call over ``calls`` calls."""
    for _ in range(max(50, calls // 10)):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)

    import dspy

    import dspex_core as dspex
    from dspex_dspy import store
    from dspex_dspy.translate import to_dspy_lm

    rows = []
    for module_type in ("predict", "chain_of_thought"):
        text = reply_for(module_type)

        def zero_latency_lm(messages, **settings):
            return [text]

        dspex.configure(lm=zero_latency_lm)
        ref = dspex.create(module_type, "question -> answer", implementation="dspy")
        module = store.get(ref.handle)   # the very dspy module dspex runs
        lm = to_dspy_lm(zero_latency_lm)  # the very dspy LM dspex passes

        def direct():
            with dspy.context(lm=lm, adapter=None):
                return module(question="What is 2+2?")

        def routed():
            return ref(question="What is 2+2?")

        assert direct().answer == routed().answer == "answer text"
        # interleave the two sides so machine noise hits both alike
        d1 = measure(direct, args.calls, args.repeats)
        r1 = measure(routed, args.calls, args.repeats)
        d2 = measure(direct, args.calls, args.repeats)
        r2 = measure(routed, args.calls, args.repeats)
        d, r = min(d1, d2), min(r1, r2)
        rows.append((module_type, d * 1e6, r * 1e6))

    print(f"{'module':<18}{'dspy direct µs':>16}{'via dspex µs':>14}{'overhead µs':>13}{'overhead %':>12}  target")
    for module_type, d, r in rows:
        over = r - d
        pct = 100 * over / d
        ok = over <= max(10.0, 0.05 * d)
        print(f"{module_type:<18}{d:>16.1f}{r:>14.1f}{over:>13.1f}{pct:>11.1f}%  {'met' if ok else 'MISSED'} "
              f"(<= max(10 µs, 5%))")


if __name__ == "__main__":
    main()
