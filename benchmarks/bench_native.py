"""Native against dspy in one run: per-call framework overhead, signature parsing, import.

Run in an environment with dspy and the dspex packages installed (the tox ``parity`` env)::

    tox --workdir /tmp/tox-adapters -e parity --notest
    /tmp/tox-adapters/parity/bin/python benchmarks/bench_native.py

The LM is an in-process object that returns a fixed, well-formed reply at once, so what is
measured is everything else: formatting the prompt, calling, parsing, coercing, building the
prediction. dspy calls it through a ``BaseLM`` wrapper that forwards straight to it (no cache,
no LiteLLM), as the dspy backend wraps custom LMs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")

QUESTION = {"question": "What is the capital of France?"}
TYPED_INPUTS = {"question": "Which numbers?", "context": ["one passage", "another\npassage"]}
CASES = {
    "Predict question -> answer": ("predict", "question -> answer", QUESTION,
                                   "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"),
    "ChainOfThought question -> answer": ("chain_of_thought", "question -> answer", QUESTION,
                                          "[[ ## reasoning ## ]]\nIt is Paris.\n\n[[ ## answer ## ]]\nParis\n\n"
                                          "[[ ## completed ## ]]"),
    "Predict typed (list[str] in; int, float, list[str], bool out)": (
        "predict", "question, context: list[str] -> answer: int, confidence: float, tags: list[str], ok: bool",
        TYPED_INPUTS,
        "[[ ## answer ## ]]\n42\n\n[[ ## confidence ## ]]\n0.9\n\n[[ ## tags ## ]]\n[\"a\", \"b\"]\n\n"
        "[[ ## ok ## ]]\nTrue\n\n[[ ## completed ## ]]"),
}


class FixedLM:
    """A zero-latency LM: the same reply, at once."""

    model = "bench/fixed"

    def __init__(self, reply: str):
        self.reply = [reply]

    def __call__(self, messages, **settings):
        return self.reply


def per_call(fn, min_time: float) -> float:
    """Seconds per call (best of 5 batches, each at least ``min_time / 5``)."""
    fn()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed > min_time / 5:
            break
        n *= 2
    best = elapsed / n
    for _ in range(4):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def bench_calls(min_time: float) -> list[tuple[str, float, float]]:
    import dspy

    import dspex_core as dspex
    from dspex_native.chain_of_thought import chain_of_thought
    from dspex_native.predict import predict

    class CustomLM(dspy.BaseLM):
        def __init__(self, obj):
            super().__init__(model=obj.model, model_type="chat", cache=False)
            self.kwargs = {}
            self._obj = obj

        def __call__(self, prompt=None, messages=None, **kwargs):
            return self._obj(messages, **kwargs)

    rows = []
    for label, (module, spec, inputs, reply) in CASES.items():
        lm = FixedLM(reply)
        impl = chain_of_thought if module == "chain_of_thought" else predict
        state = impl.create(spec)
        native = per_call(lambda: impl.execute(state, inputs, lm=lm), min_time)
        with dspex.context(lm=lm):
            ref = dspex.create(module, spec, implementation="native")
            routed = per_call(lambda: dspex.execute(ref, inputs), min_time)
        program = dspy.ChainOfThought(spec) if module == "chain_of_thought" else dspy.Predict(spec)
        with dspy.context(lm=CustomLM(lm)):
            reference = per_call(lambda: program(**inputs), min_time)
        rows.append((label, native, routed, reference))
    return rows


def bench_signatures(min_time: float) -> tuple[float, float, float, float]:
    import dspy

    from dspex_core import Signature
    from dspex_core._signature import _parse

    counter = iter(range(10**9))

    def native_distinct():
        i = next(counter)
        _parse(f"question_{i}, context: list[str] -> answer_{i}: int", None, None)

    def dspy_distinct():
        i = next(counter)
        dspy.Signature(f"question_{i}, context: list[str] -> answer_{i}: int")

    native = per_call(native_distinct, min_time)
    reference = per_call(dspy_distinct, min_time)
    cached = per_call(lambda: Signature("question, context: list[str] -> answer: int"), min_time)
    dspy_same = per_call(lambda: dspy.Signature("question, context: list[str] -> answer: int"), min_time)
    return native, reference, cached, dspy_same


def bench_import(runs: int) -> dict[str, tuple[float, float]]:
    # VmHWM (peak RSS of this process image): ru_maxrss would carry the parent's peak over exec.
    probe = ("import time; t=time.perf_counter(); {stmt}; d=time.perf_counter()-t; "
             "hwm=[l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]; print(d, hwm)")
    out = {}
    for label, stmt in (("bare python", "pass"), ("import dspex_core, dspex_native", "import dspex_core, dspex_native"),
                        ("import dspy", "import dspy")):
        times, rss = [], []
        for _ in range(runs):
            text = subprocess.run([sys.executable, "-c", probe.format(stmt=stmt)], capture_output=True, text=True,
                                  check=True).stdout.split()
            times.append(float(text[0]))
            rss.append(int(text[1]) / 1024)
        out[label] = (statistics.median(times), statistics.median(rss))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per measurement")
    parser.add_argument("--import-runs", type=int, default=9)
    args = parser.parse_args()
    import platform

    import dspy

    print(f"Python {platform.python_version()} on {platform.machine()}, dspy {dspy.__version__}\n")
    print("| measure | native | dspy | dspy / native | target |")
    print("|---|---|---|---|---|")
    for label, native, routed, reference in bench_calls(args.min_time):
        print(f"| {label}, per call | {native * 1e6:.1f} µs | {reference * 1e6:.1f} µs | "
              f"{reference / native:.0f}x | >= 40x |")
        print(f"| same, through dspex.execute (router) | {routed * 1e6:.1f} µs | | {reference / routed:.0f}x | |")
    native, reference, cached, dspy_same = bench_signatures(args.min_time)
    print(f"| signature parsing, distinct strings | {native * 1e6:.1f} µs | {reference * 1e6:.1f} µs | "
          f"{reference / native:.0f}x | >= 100x |")
    print(f"| signature, same string (cached) | {1 / cached / 1e6:.2f} M/s | {1 / dspy_same / 1e3:.1f} k/s | "
          f"{dspy_same / cached:.0f}x | >= 500k/s |")
    imports = bench_import(args.import_runs)
    base_t, base_m = imports["bare python"]
    nat_t, nat_m = imports["import dspex_core, dspex_native"]
    ref_t, ref_m = imports["import dspy"]
    print(f"| import time (in-process, median of {args.import_runs}) | {nat_t * 1e3:.1f} ms | {ref_t * 1e3:.1f} ms | "
          f"{ref_t / nat_t:.0f}x | >= 15x |")
    print(f"| max RSS after import (bare python: {base_m:.1f} MB) | {nat_m:.1f} MB | {ref_m:.1f} MB | "
          f"{ref_m / nat_m:.1f}x (added: {nat_m - base_m:.1f} vs {ref_m - base_m:.1f} MB) | native < half |")


if __name__ == "__main__":
    main()
