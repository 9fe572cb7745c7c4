"""Native agents against dspy in one run: per-call framework overhead of ReAct, Refine and
MultiChainComparison, and the import cost of native with its agent modules.

Run in an environment with dspy and the dspex packages installed (the tox ``parity`` env)::

    tox --workdir /tmp/tox-bench -e parity --notest
    /tmp/tox-bench/parity/bin/python benchmarks/bench_agents.py

The LM is an in-process object that answers at once, by looking at what it is asked (which
output fields the system message lists, how many observations the trajectory has), so every
backend walks the same path: a 4-step ReAct with two tools (three tool calls, ``finish``, the
extract step: 5 LM calls), a Refine of a ChainOfThought whose reward passes on the third
attempt (3 attempts and 2 advice calls), and a MultiChainComparison with M=3 (1 call). What is
measured is everything but the LM. Both backends are called through ``dspex.execute``; the
contenders run in alternating batches and keep their best batch.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)  # dspy warns on each ReAct trajectory it formats; the table is the output


class AgentLM:
    """A zero-latency LM that answers each kind of request the agents send."""

    model = "bench/agent"

    def __call__(self, messages, **settings):
        system = messages[0]["content"]
        user = messages[-1]["content"]
        if "`next_tool_name`" in system:  # a ReAct step: three tool calls, then finish
            steps = user.count("[[ ## observation_")
            if steps < 3:
                tool, args = ("lookup", '{"topic": "France"}') if steps % 2 == 0 else ("add", '{"a": 2, "b": 3}')
            else:
                tool, args = "finish", "{}"
            return [f"[[ ## next_thought ## ]]\nStep {steps}.\n\n[[ ## next_tool_name ## ]]\n{tool}\n\n"
                    f"[[ ## next_tool_args ## ]]\n{args}\n\n[[ ## completed ## ]]"]
        if "`advice`" in system:  # Refine's feedback step
            return ['[[ ## discussion ## ]]\nToo long.\n\n[[ ## advice ## ]]\n{"predict": "Answer in one word."}\n\n'
                    "[[ ## completed ## ]]"]
        if "`rationale`" in system:  # MultiChainComparison
            return ["[[ ## rationale ## ]]\nAll attempts agree.\n\n[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"]
        return ["[[ ## reasoning ## ]]\nIt is Paris.\n\n[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"]


def lookup(topic: str) -> str:
    """Look a topic up in the encyclopedia."""
    return f"{topic}: its capital is Paris."


def add(a: int, b: int = 0) -> int:
    """Add two integers."""
    return a + b


class ThirdTimeLucky:
    """A reward that passes on every third attempt (so each Refine call makes three)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, args, pred):
        self.calls += 1
        return 1.0 if self.calls % 3 == 0 else 0.0


COMPLETIONS = [{"reasoning": "Paris is the capital.", "answer": "Paris"},
               {"reasoning": "It might be Lyon.", "answer": "Lyon"},
               {"reasoning": "France's capital is Paris.", "answer": "Paris"}]


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


def paired(fns, min_time: float) -> list[float]:
    """Seconds per call of each function, in alternating batches (10 rounds, best batch each)."""
    sizes = [_batch_size(fn, min_time / 20) for fn in fns]
    best = [float("inf")] * len(fns)
    for _ in range(10):
        for i, (fn, n) in enumerate(zip(fns, sizes)):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / n)
    return best


def modules(backend: str, lm: AgentLM) -> dict[str, tuple[object, dict]]:
    """The three programs on ``backend``, with the inputs each call gets."""
    import dspex_core as dspex

    question = {"question": "What is the capital of France?"}
    react = dspex.ReAct.create("question -> answer", tools=[lookup, add], max_iters=6, implementation=backend)
    cot = dspex.ChainOfThought.create("question -> answer", implementation=backend)
    refine = dspex.Refine.create(cot, N=3, reward_fn=ThirdTimeLucky(), threshold=1.0, implementation=backend)
    mcc = dspex.MultiChainComparison.create("question -> answer", M=3, implementation=backend)
    return {"ReAct, 4 steps with two tools (5 LM calls)": (react, question),
            "Refine of a ChainOfThought, 3 attempts (5 LM calls)": (refine, question),
            "MultiChainComparison, M=3 (1 LM call)": (mcc, {**question, "completions": COMPLETIONS})}


def bench_calls(min_time: float) -> list[tuple[str, float, float]]:
    import dspex_core as dspex

    lm = AgentLM()
    rows = []
    with dspex.context(lm=lm):
        native, dspy = modules("native", lm), modules("dspy", lm)
        for label in native:
            (n_ref, inputs), (d_ref, _) = native[label], dspy[label]
            for ref in (n_ref, d_ref):  # both finish, with the same answer
                assert dspex.execute(ref, inputs).answer == "Paris", label
            n, d = paired([lambda: dspex.execute(n_ref, inputs), lambda: dspex.execute(d_ref, inputs)], 4 * min_time)
            rows.append((label, n, d))
    return rows


def bench_import(runs: int) -> float:
    """Median seconds of the import statement, timed inside fresh interpreters (so: over bare Python)."""
    statement = ("import dspex_core, dspex_native.modules.react, dspex_native.modules.refine, "
                 "dspex_native.modules.best_of_n, dspex_native.modules.multi_chain_comparison, "
                 "dspex_native.modules.program_of_thought, dspex_native.modules.parallel")
    probe = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    times = [float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
             for _ in range(runs)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per measurement")
    parser.add_argument("--import-runs", type=int, default=9)
    args = parser.parse_args()
    import platform

    import dspy

    print(f"Python {platform.python_version()} on {platform.machine()}, dspy {dspy.__version__}\n")
    print("| per call | native | dspy | dspy / native | target |")
    print("|---|---|---|---|---|")
    for label, native, dspy_time in bench_calls(args.min_time):
        print(f"| {label} | {native * 1e6:.0f} µs | {dspy_time * 1e6:.0f} µs | {dspy_time / native:.0f}x | >= 40x |")
    added = bench_import(args.import_runs) * 1e3
    print(f"\nimport dspex_core and every native agent module, over bare Python (median of {args.import_runs}): "
          f"{added:.1f} ms (target: under 30 ms)")


if __name__ == "__main__":
    main()
