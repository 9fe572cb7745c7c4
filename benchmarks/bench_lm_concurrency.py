"""Many concurrent calls to a slow LM: the native client (threads, asyncio) against dspy.LM.

256 chat-completion calls, 16 at a time, to a local OpenAI-compatible server that answers
each request after 20 ms. The ideal is calls x latency / concurrency = 320 ms; what is
printed is each client's elapsed time and how far over the ideal it is.

The server (``dspex_core.testing.server.LocalLMServer``) runs in its own process so its
Python work does not compete with the client's for the GIL. Every call has a distinct prompt
and caching is off, so each call reaches the server. dspy.LM is measured in this interpreter
when dspy is importable, else in ``--dspy-python`` (default ``/tmp/dspyenv/bin/python``) as a
subprocess; without either it is skipped with a message. Run::

    python benchmarks/bench_lm_concurrency.py               # --calls 256 --concurrency 16 --latency 0.02
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

warnings.filterwarnings("ignore")

REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"

SERVER_CODE = f"""
import sys
from dspex_core.testing.server import LocalLMServer
server = LocalLMServer({REPLY!r}, latency=float(sys.argv[1])).start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""

# Runs in a separate interpreter that has dspy; prints one JSON line of elapsed seconds.
DSPY_CODE = """
import asyncio, json, sys, time, warnings
from concurrent.futures import ThreadPoolExecutor
warnings.filterwarnings("ignore")
import dspy
url, calls, concurrency, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lm = dspy.LM("openai/bench-model", api_base=url, api_key="sk-bench-not-a-key", cache=False, num_retries=0)
def prompt(tag, i):
    return [{"role": "user", "content": f"question {tag} {i}"}]
def threads(tag):
    with ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        out = list(pool.map(lambda i: lm(messages=prompt(tag, i)), range(calls)))
        elapsed = time.perf_counter() - start
    assert len(out) == calls
    return elapsed
async def run_async(tag):
    gate = asyncio.Semaphore(concurrency)
    async def one(i):
        async with gate:
            return await lm.acall(messages=prompt(tag, i))
    start = time.perf_counter()
    out = await asyncio.gather(*(one(i) for i in range(calls)))
    assert len(out) == calls
    return time.perf_counter() - start
threads("warm")
result = {"dspy.LM, threads": [threads(f"t{r}") for r in range(repeats)]}
async def all_async():
    await run_async("warm")
    return [await run_async(f"a{r}") for r in range(repeats)]
result["dspy.LM, asyncio"] = asyncio.run(all_async())
result["version"] = dspy.__version__
print(json.dumps(result))
"""


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER_CODE, str(latency)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit("the local LM server did not start")
    return proc, url


def native_runs(url: str, calls: int, concurrency: int, repeats: int) -> dict[str, list[float]]:
    from dspex_core import LM
    from dspex_native.lm import get_client

    client = get_client(LM("openai/bench-model", api_base=url, cache=False, num_retries=0))

    def prompt(tag: str, i: int) -> list[dict]:
        return [{"role": "user", "content": f"question {tag} {i}"}]

    def threads(tag: str) -> float:
        with ThreadPoolExecutor(concurrency) as pool:
            start = time.perf_counter()
            out = list(pool.map(lambda i: client(prompt(tag, i)), range(calls)))
            elapsed = time.perf_counter() - start
        assert out == [[REPLY]] * calls
        return elapsed

    async def run_async(tag: str) -> float:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> list[str]:
            async with gate:
                return await client.acall(prompt(tag, i))

        start = time.perf_counter()
        out = await asyncio.gather(*(one(i) for i in range(calls)))
        assert out == [[REPLY]] * calls
        return time.perf_counter() - start

    async def all_async() -> list[float]:
        await run_async("warm")
        return [await run_async(f"a{r}") for r in range(repeats)]

    threads("warm")
    return {"native client, threads": [threads(f"t{r}") for r in range(repeats)],
            "native client, asyncio": asyncio.run(all_async())}


def dspy_runs(url: str, calls: int, concurrency: int, repeats: int, dspy_python: str) -> tuple[dict, str]:
    try:
        import dspy  # noqa: F401

        python = sys.executable
    except ImportError:
        python = dspy_python
        if not python or not os.path.exists(python):
            return {}, f"dspy is not importable here and {dspy_python!r} does not exist: dspy.LM skipped"
    out = subprocess.run([python, "-c", DSPY_CODE, url, str(calls), str(concurrency), str(repeats)],
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        return {}, f"dspy.LM run failed in {python}: {out.stderr.strip().splitlines()[-1:]}"
    result = json.loads(out.stdout.strip().splitlines()[-1])
    version = result.pop("version")
    return result, f"dspy {version} (LiteLLM) measured with {python}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=256)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dspy-python", default="/tmp/dspyenv/bin/python")
    args = parser.parse_args()
    ideal = args.calls * args.latency / args.concurrency
    proc, url = start_server(args.latency)
    try:
        results = native_runs(url, args.calls, args.concurrency, args.repeats)
        dspy_results, note = dspy_runs(url, args.calls, args.concurrency, args.repeats, args.dspy_python)
        results.update(dspy_results)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    print(f"{args.calls} calls, concurrency {args.concurrency}, server latency {args.latency * 1000:.0f} ms; "
          f"ideal {ideal * 1000:.0f} ms; median (best) of {args.repeats} runs after a warm-up")
    print(f"{'client':26} {'elapsed ms':>11} {'best ms':>8} {'over ideal':>11}")
    for name, runs in results.items():
        median = statistics.median(runs)
        print(f"{name:26} {median * 1000:11.0f} {min(runs) * 1000:8.0f} {(median / ideal - 1) * 100:10.1f}%")
    print(note)


if __name__ == "__main__":
    main()
