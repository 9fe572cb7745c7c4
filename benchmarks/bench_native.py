"""Native against dspy in one run: per-call framework overhead, signature parsing, import.

Run in an environment with dspy and the dspex packages installed (the tox ``parity`` env)::

    tox --workdir /tmp/tox-adapters -e parity --notest
    /tmp/tox-adapters/parity/bin/python benchmarks/bench_native.py

The LM is an in-process object that returns a fixed, well-formed reply at once, so what is
measured is everything else: formatting the prompt, calling, parsing, coercing, building the
prediction. dspy calls it through the dspy backend's wrapper (``dspex_dspy.lm.CustomLM``, a
``BaseLM`` whose ``forward`` calls the object: dspy's normal LM call path, no cache, no
LiteLLM); a second dspy row uses a wrapper that overrides ``__call__`` and so skips that path,
the least dspy can do per call. Measurements alternate between the contenders in batches and
keep each one's best batch, so load on the machine weighs on both alike.
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


def _batch_size(fn, target: float) -> int:
    fn()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start > target:
            return n
        n *= 2


def per_call(fn, min_time: float) -> float:
    """Seconds per call: the best of 10 batches (the minimum resists other load on the machine)."""
    return paired([fn], min_time)[0]


def paired(fns, min_time: float) -> list[float]:
    """Seconds per call of each function, measured in alternating batches (10 rounds, best
    batch each), so that load on the machine affects all of them alike."""
    sizes = [_batch_size(fn, min_time / 20) for fn in fns]
    best = [float("inf")] * len(fns)
    for _ in range(10):
        for i, (fn, n) in enumerate(zip(fns, sizes)):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / n)
    return best


def bench_calls(min_time: float) -> list[tuple[str, float, float]]:
    import dspy

    import dspex_core as dspex
    from dspex_native.modules.chain_of_thought import implementation as chain_of_thought
    from dspex_native.modules.predict import implementation as predict

    from dspex_dspy.lm import CustomLM as BackendLM  # the dspy backend's wrapper: BaseLM.forward

    class MinimalLM(dspy.BaseLM):
        """Overrides __call__: skips BaseLM's call path (history, callbacks, response handling)."""

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
        make = dspy.ChainOfThought if module == "chain_of_thought" else dspy.Predict
        backend_program, minimal_program = make(spec), make(spec)
        backend_program.set_lm(BackendLM(lm))  # the module's own LM: no per-call context switch
        minimal_program.set_lm(MinimalLM(lm))

        def dspy_backend_path():
            return backend_program(**inputs)

        def dspy_minimal_path():
            return minimal_program(**inputs)

        with dspex.context(lm=lm):
            ref = dspex.create(module, spec, implementation="native")
            native, routed, reference, minimal = paired([
                lambda: impl.execute(state, inputs, lm=lm),
                lambda: dspex.execute(ref, inputs),
                dspy_backend_path,
                dspy_minimal_path,
            ], 4 * min_time)
        rows.append((label, native, routed, reference, minimal))
    return rows


def bench_signatures(min_time: float) -> tuple[float, float, float, float, float]:
    import dspy

    from dspex_core import Signature
    from dspex_core._signature import _parse  # the parser itself (a benchmark may look inside)

    counter = iter(range(10**9))

    def native_parse():
        i = next(counter)
        _parse(f"question_{i}, context: list[str] -> answer_{i}: int", None, None)

    def native_new_string():  # the public constructor on a string it has not seen: parse + cache insert
        i = next(counter)
        Signature(f"question_{i}, context: list[str] -> answer_{i}: int")

    def dspy_distinct():
        i = next(counter)
        dspy.Signature(f"question_{i}, context: list[str] -> answer_{i}: int")

    native, public, reference = paired([native_parse, native_new_string, dspy_distinct], 2 * min_time)
    cached, dspy_same = paired([lambda: Signature("question, context: list[str] -> answer: int"),
                                lambda: dspy.Signature("question, context: list[str] -> answer: int")], 2 * min_time)
    return native, public, reference, cached, dspy_same


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
    for label, native, routed, reference, minimal in bench_calls(args.min_time):
        print(f"| {label}, per call | {native * 1e6:.1f} µs | {reference * 1e6:.1f} µs | "
              f"{reference / native:.0f}x | >= 40x |")
        print(f"| same, native through dspex.execute (router) | {routed * 1e6:.1f} µs | | "
              f"{reference / routed:.0f}x | |")
        print(f"| same, dspy with a minimal LM wrapper (no BaseLM call path) | | {minimal * 1e6:.1f} µs | "
              f"{minimal / native:.0f}x | |")
    native, public, reference, cached, dspy_same = bench_signatures(args.min_time)
    print(f"| signature parsing, distinct strings | {native * 1e6:.1f} µs | {reference * 1e6:.1f} µs | "
          f"{reference / native:.0f}x | >= 100x |")
    print(f"| same, through Signature(...) (cache miss and insert) | {public * 1e6:.1f} µs | | "
          f"{reference / public:.0f}x | |")
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
