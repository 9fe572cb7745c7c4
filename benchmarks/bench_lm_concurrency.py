"""Many concurrent calls to a slow LM: the native client (threads, asyncio) against dspy.LM.

256 chat-completion calls, 16 at a time, to a local OpenAI-compatible server that answers
each request after 20 ms. The ideal is calls x latency / concurrency = 320 ms; what is
printed is each client's elapsed time and how far over the ideal it is.

The server (``dspex_core.testing.server.LocalLMServer``) runs in its own process so its
Python work does not compete with the client's for the GIL. Every call has a distinct prompt
and caching is off, so each call reaches the server. Two bare stdlib clients over the
same server (``http.client`` on threads, ``asyncio`` streams) show the floor that the server and
the machine set. dspy.LM is measured in this interpreter
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

# The common measuring code: ``call(messages)`` and ``acall(messages)`` are defined before it.
RUNNER_CODE = """
def _prompt(tag, i):
    return [{"role": "user", "content": f"question {tag} {i}"}]

def run_threads(tag, calls, concurrency):
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda i: call(_prompt("warm" + tag, i)), range(concurrency)))  # threads started
        start = time.perf_counter()
        out = list(pool.map(lambda i: call(_prompt(tag, i)), range(calls)))
        elapsed = time.perf_counter() - start
    assert len(out) == calls
    return elapsed

async def _run_async(tag, calls, concurrency):
    gate = asyncio.Semaphore(concurrency)
    async def one(i):
        async with gate:
            return await acall(_prompt(tag, i))
    start = time.perf_counter()
    out = await asyncio.gather(*(one(i) for i in range(calls)))
    assert len(out) == calls
    return time.perf_counter() - start

LOOP = asyncio.new_event_loop()

def run_async(tag, calls, concurrency):
    return LOOP.run_until_complete(_run_async(tag, calls, concurrency))
"""

# A worker in an interpreter that has dspy: answers "threads|async TAG" lines with seconds.
DSPY_WORKER = """
import asyncio, sys, time, warnings
from concurrent.futures import ThreadPoolExecutor
warnings.filterwarnings("ignore")
import dspy
url, calls, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lm = dspy.LM("openai/bench-model", api_base=url, api_key="sk-bench-not-a-key", cache=False, num_retries=0)
def call(messages):
    return lm(messages=messages)
async def acall(messages):
    return await lm.acall(messages=messages)
""" + RUNNER_CODE + """
print("ready", dspy.__version__, flush=True)
for line in sys.stdin:
    mode, tag = line.split()
    seconds = (run_threads if mode == "threads" else run_async)(tag, calls, concurrency)
    print(seconds, flush=True)
"""


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER_CODE, str(latency)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit("the local LM server did not start")
    return proc, url


class NativeRunner:
    """The native client, measured in this interpreter."""

    label = "native client"

    def __init__(self, url: str, calls: int, concurrency: int):
        from dspex_core import LM
        from dspex_native.lm import get_client

        client = get_client(LM("openai/bench-model", api_base=url, cache=False, num_retries=0))

        async def acall(messages):
            return await client.acall(messages)

        self.calls, self.concurrency = calls, concurrency
        self.ns = {"call": client, "acall": acall, "asyncio": asyncio, "time": time,
                   "ThreadPoolExecutor": ThreadPoolExecutor}
        exec(RUNNER_CODE, self.ns)

    def run(self, mode: str, tag: str) -> float:
        runner = self.ns["run_threads" if mode == "threads" else "run_async"]
        return runner(tag, self.calls, self.concurrency)

    def close(self) -> None:
        self.ns["LOOP"].close()


class BaselineRunner:
    """The floor: stdlib ``http.client``, one kept-alive connection per thread (and for asyncio,
    ``asyncio`` streams kept alive, one per concurrent call), no retries, no cache, no
    accounting. What it loses to the ideal is the server and the machine."""

    label = "baseline http.client"
    labels = {"threads": "floor: http.client, threads", "asyncio": "floor: asyncio streams"}

    def __init__(self, url: str, calls: int, concurrency: int):
        import http.client
        import threading
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        local = threading.local()
        path = parts.path + "/chat/completions"

        def call(messages):
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port)
            conn.request("POST", path, body=json.dumps({"model": "bench-model", "messages": messages}),
                         headers={"Content-Type": "application/json"})
            reply = json.loads(conn.getresponse().read())
            return [choice["message"]["content"] for choice in reply["choices"]]

        idle: list = []  # asyncio streams, kept alive, one per concurrent call
        head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"

        async def acall(messages):
            if idle:
                reader, writer = idle.pop()
            else:
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            body = json.dumps({"model": "bench-model", "messages": messages}).encode()
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower().split("\r\n")
            length = next(int(line.split(":")[1]) for line in lines if line.startswith("content-length:"))
            reply = json.loads(await reader.readexactly(length))
            idle.append((reader, writer))
            return [choice["message"]["content"] for choice in reply["choices"]]

        self.calls, self.concurrency = calls, concurrency
        self.ns = {"call": call, "acall": acall, "asyncio": asyncio, "time": time,
                   "ThreadPoolExecutor": ThreadPoolExecutor}
        exec(RUNNER_CODE, self.ns)

    def run(self, mode: str, tag: str) -> float:
        return self.ns["run_threads" if mode == "threads" else "run_async"](tag, self.calls, self.concurrency)

    def close(self) -> None:
        self.ns["LOOP"].close()


class DspyRunner:
    """dspy.LM, measured in a worker interpreter that has dspy."""

    label = "dspy.LM"

    def __init__(self, python: str, url: str, calls: int, concurrency: int):
        self.proc = subprocess.Popen([python, "-c", DSPY_WORKER, url, str(calls), str(concurrency)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        ready = self.proc.stdout.readline().split()
        if not ready or ready[0] != "ready":
            self.proc.kill()
            raise RuntimeError(self.proc.stderr.read().strip().splitlines()[-1:])
        self.version = ready[1]

    def run(self, mode: str, tag: str) -> float:
        self.proc.stdin.write(f"{mode} {tag}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def dspy_python(option: str) -> str | None:
    try:
        import dspy  # noqa: F401

        return sys.executable
    except ImportError:
        return option if option and os.path.exists(option) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=256)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dspy-python", default="/tmp/dspyenv/bin/python")
    args = parser.parse_args()
    ideal = args.calls * args.latency / args.concurrency
    proc, url = start_server(args.latency)
    runners: list = [BaselineRunner(url, args.calls, args.concurrency), NativeRunner(url, args.calls, args.concurrency)]
    python = dspy_python(args.dspy_python)
    note = f"dspy is not importable here and {args.dspy_python!r} does not exist: dspy.LM skipped"
    if python:
        try:
            runners.append(DspyRunner(python, url, args.calls, args.concurrency))
            note = f"dspy {runners[-1].version} (LiteLLM) measured in {python}"
        except RuntimeError as exc:
            note = f"dspy.LM skipped: the worker failed to start in {python}: {exc}"
    results: dict[str, list[float]] = {}
    try:
        for repeat in range(args.repeats + 1):  # round 0 warms connections up and is not counted
            for mode in ("threads", "asyncio"):
                for runner in runners:  # interleaved, so machine noise hits every client alike
                    seconds = runner.run("threads" if mode == "threads" else "async", f"{mode}{repeat}")
                    if repeat:
                        label = getattr(runner, "labels", {}).get(mode, f"{runner.label}, {mode}")
                        results.setdefault(label, []).append(seconds)
    finally:
        for runner in runners:
            runner.close()
        proc.stdin.close()
        proc.wait(timeout=10)
    print(f"{args.calls} calls, concurrency {args.concurrency}, server latency {args.latency * 1000:.0f} ms; "
          f"ideal {ideal * 1000:.0f} ms; median and best of {args.repeats} interleaved runs after a warm-up")
    print(f"{'client':30} {'median ms':>10} {'best ms':>8} {'median over ideal':>18} {'best over ideal':>16}")
    for name in sorted(results):
        runs = results[name]
        median, best = statistics.median(runs), min(runs)
        print(f"{name:30} {median * 1000:10.0f} {best * 1000:8.0f} {(median / ideal - 1) * 100:17.1f}% "
              f"{(best / ideal - 1) * 100:15.1f}%")
    print(note)


if __name__ == "__main__":
    main()
