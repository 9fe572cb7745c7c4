"""Evaluation on the threads executor against the ray executor, on one machine, in one run.

A native ChainOfThought is evaluated on ``--examples`` (2,000) examples against a local
OpenAI-compatible server that answers each request after ``--latency`` (20 ms), as the offline
model would (so every example gets its own answer): once with ``executor="threads"``
(``num_threads=16``), once with ``executor="ray"`` on a local Ray instance started with
``num_cpus=2`` and 16 items in flight. The ideal is examples x latency / concurrency
(2.5 s). Printed: each wall time, ray's over threads', and whether both gave identical results
(score, and every example's prediction and score in devset order).

Ray's start (``ray.init``) and its workers' start (a Python process each, importing dspex)
happen once per process and are measured apart, as "ray cold start": a first small run warms
the workers, as a long-running service or a second evaluation finds them. The server runs in
its own process so its Python work does not compete with the client's for the GIL. Run::

    RAY_USAGE_STATS_ENABLED=0 python benchmarks/bench_scale_out.py   # --examples 2000 --latency 0.02
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")

SERVER_CODE = """
import sys
import dspex_core as dspex
from dspex_core.testing.server import LocalLMServer
server = LocalLMServer(dspex.OfflineLM(), latency=float(sys.argv[1])).start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--num-cpus", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    server = subprocess.Popen([sys.executable, "-c", SERVER_CODE, str(args.latency)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    try:
        import dspex_core as dspex

        dspex.configure(lm=dspex.LM("openai/local", api_base=url, cache=False))
        program = dspex.ChainOfThought.create("question -> answer")
        devset = [dspex.Example(question=f"what is item{i}?", answer=f"Offline answer about item{i}.")
                  .with_inputs("question") for i in range(args.examples)]

        def exact(example, prediction):
            return example.answer == prediction.answer

        def evaluate(executor, examples):
            ev = dspex.Evaluate.create(devset=examples, metric=exact, num_threads=args.concurrency,
                                       executor=executor, display_progress=False)
            start = time.perf_counter()
            result = ev(program=program)
            return time.perf_counter() - start, result

        threads_time, on_threads = evaluate("threads", devset)
        dspex.configure(executor_options={"num_cpus": args.num_cpus, "concurrency": args.concurrency,
                                          "progress": False})
        cold_time, _ = evaluate("ray", devset[:32])  # ray.init and the workers' start
        ray_time, on_ray = evaluate("ray", devset)
        import ray

        ray.shutdown()
    finally:
        server.stdin.close()
        server.wait()

    ideal = args.examples * args.latency / args.concurrency
    identical = on_ray.score == on_threads.score and on_ray.results == on_threads.results
    print(f"evaluate {args.examples} examples, native ChainOfThought, LM latency {args.latency * 1000:.0f} ms, "
          f"{args.concurrency} in flight (ideal {ideal:.2f} s)")
    print("| executor | wall time | over ideal |")
    print("|---|---|---|")
    print(f"| threads (16) | {threads_time:.2f} s | {threads_time / ideal:.2f}x |")
    print(f"| ray (local, {args.num_cpus} CPUs, concurrency {args.concurrency}) | {ray_time:.2f} s | "
          f"{ray_time / ideal:.2f}x |")
    print(f"| ray cold start (ray.init, workers, 32 examples) | {cold_time:.2f} s | |")
    print(f"ray / threads: {ray_time / threads_time:.2f} (target <= 1.25); results identical: {identical} "
          f"(score {on_threads.score} vs {on_ray.score})")


if __name__ == "__main__":
    main()
