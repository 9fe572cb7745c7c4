"""Streaming's time to first chunk: native ``ref.stream`` against the server's own first byte.

A local OpenAI-compatible server (``dspex_core.testing.server.LocalLMServer``, in its own process so
its Python work does not compete with the client's for the GIL) streams a ChatAdapter reply whose
first text event already holds ``[[ ## answer ## ]]`` and the answer's first character, then the
rest a few characters per event. Measured, each as the median of ``--runs`` calls made alternately:

* **bare first byte**: a bare ``http.client`` reader on a kept-alive connection, from sending the
  request to the first byte of the response arriving at the client socket (the floor: the server
  and the machine);
* **bare first text**: the same reader, to the first event with text (what a first chunk needs);
* **native first chunk**: ``next(ref.stream(question=...))`` on a native Predict through
  ``dspex.LM`` (prompt, request, SSE reading, the ChatAdapter field reader), the same bytes sent;
* **dspy first chunk**: ``dspy.streamify`` with a ``StreamListener`` on ``answer`` (when dspy is
  importable), for scale;

and each one's whole call (the contenders take turns in blocks of 25 calls). The target is native's first chunk within 1 ms of the server's own first
byte. The two are separate requests, so on a busy machine their difference also holds the server's
and the scheduler's noise; the breakdown below the table is native's own time within one call
(timestamps taken by wrapping the LM transport's ``ConnectionPool.send`` and the SSE reader's ``feed``): before the
request leaves, waiting for the headers, headers to the first body bytes, and those bytes to the
first chunk. Run::

    python benchmarks/bench_streaming.py            # --runs 200 --reply-chars 2000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

SERVER_CODE = """
import sys
from dspex_core.testing.server import LocalLMServer

HEAD = "[[ ## answer ## ]]\\n"
reply = HEAD + "x" * int(sys.argv[1]) + "\\n\\n[[ ## completed ## ]]"

def chunks(text):  # the first event holds the marker and a character of the answer
    first = len(HEAD) + 1
    return [text[:first]] + [text[i:i + 8] for i in range(first, len(text), 8)]

server = LocalLMServer(reply, stream_chunk_size=chunks).start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


def bare_reader(url: str, body: bytes):
    """``run() -> (first byte, first text, whole)`` seconds, on one kept-alive http.client connection."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    path = parts.path + "/chat/completions"
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}

    def run() -> tuple[float, float, float]:
        start = time.perf_counter()
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        line = response.fp.peek(1)  # the first byte of the body is in the socket buffer
        first_byte = time.perf_counter() - start
        first_text = None
        while True:
            line = response.readline()
            if first_text is None and line.startswith(b"data: {") and b'"content":"[[' in line:
                first_text = time.perf_counter() - start
            if line.startswith(b"data: [DONE]"):
                break
        response.read()  # the chunked body's end
        return first_byte, first_text, time.perf_counter() - start

    return run


def native_runner(url: str):
    import dspex_core as dspex

    lm = dspex.LM("openai/gpt-4o-mini", api_base=url, api_key="sk-bench", cache=False)
    ref = dspex.Predict.create("question -> answer", implementation="native", lm=lm)
    request = ref.render(question="q")

    def run() -> tuple[float, float]:
        start = time.perf_counter()
        items = ref.stream(question="q")
        next(items)
        first = time.perf_counter() - start
        for _ in items:
            pass
        return first, time.perf_counter() - start

    return run, request


def breakdown(url: str, runs: int) -> list[tuple[str, float]]:
    """Native's first chunk, step by step (median seconds of ``runs`` calls; see the module doc)."""
    import dspex_core as dspex
    from dspex_native.lm import _http, streaming

    lm = dspex.LM("openai/gpt-4o-mini", api_base=url, api_key="sk-bench", cache=False)
    ref = dspex.Predict.create("question -> answer", implementation="native", lm=lm)
    marks: dict[str, float] = {}
    send, feed = _http.ConnectionPool.send, streaming.SSEReader.feed

    def timed_send(self, *args, **kwargs):
        marks["send"] = time.perf_counter()
        response = send(self, *args, **kwargs)
        marks["headers"] = time.perf_counter()
        return response

    def timed_feed(self, chunk):
        marks.setdefault("bytes", time.perf_counter())
        return feed(self, chunk)

    _http.ConnectionPool.send, streaming.SSEReader.feed = timed_send, timed_feed
    try:
        rows = []
        for _ in range(runs):
            marks.clear()
            start = time.perf_counter()
            items = ref.stream(question="q")
            next(items)
            first = time.perf_counter()
            for _ in items:
                pass
            rows.append((marks["send"] - start, marks["headers"] - marks["send"], marks["bytes"] - marks["headers"],
                         first - marks["bytes"]))
    finally:
        _http.ConnectionPool.send, streaming.SSEReader.feed = send, feed
    names = ("before the request is sent (prompt, body, request)", "waiting for the response headers",
             "headers to the first body bytes", "first body bytes to the first StreamChunk")
    return [(name, statistics.median(row[i] for row in rows)) for i, name in enumerate(names)]


def dspy_runner(url: str):
    try:
        import dspy
    except ImportError:
        return None
    lm = dspy.LM("openai/gpt-4o-mini", api_base=url, api_key="sk-bench", cache=False)
    program = dspy.streamify(dspy.Predict("question -> answer"),
                             stream_listeners=[dspy.streaming.StreamListener(signature_field_name="answer")],
                             async_streaming=False)

    def run() -> tuple[float, float]:
        with dspy.context(lm=lm):
            start = time.perf_counter()
            items = iter(program(question="q"))
            next(items)
            first = time.perf_counter() - start
            for _ in items:
                pass
            return first, time.perf_counter() - start

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--reply-chars", type=int, default=2000)
    parser.add_argument("--no-dspy", action="store_true", help="leave dspy out")
    args = parser.parse_args()

    server = subprocess.Popen([sys.executable, "-c", SERVER_CODE, str(args.reply_chars)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        native, request = native_runner(url)
        body = {"model": "gpt-4o-mini", "messages": request["messages"], "stream": True,
                "stream_options": {"include_usage": True}}
        bare = bare_reader(url, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
        dspy_run = None if args.no_dspy else dspy_runner(url)
        for _ in range(10):  # warm: connections, imports, caches
            bare()
            native()
            if dspy_run:
                dspy_run()
        bare_times, native_times, dspy_times = [], [], []
        block = 25  # contenders alternate by blocks: one's leftovers (threads, buffers) do not tax the other's call
        for start in range(0, args.runs, block):
            count = min(block, args.runs - start)
            bare_times += [bare() for _ in range(count)]
            native_times += [native() for _ in range(count)]
            if dspy_run:
                dspy_times += [dspy_run() for _ in range(count)]
        steps = breakdown(url, args.runs)
    finally:
        server.stdin.close()
        server.wait(timeout=10)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1e3:.3f} ms"

    first_byte = statistics.median(t[0] for t in bare_times)
    rows = [
        ("bare http.client: first byte of the response", ms([t[0] for t in bare_times]), ms([t[2] for t in bare_times])),
        ("bare http.client: first event with text", ms([t[1] for t in bare_times]), ""),
        ("native ref.stream: first StreamChunk", ms([t[0] for t in native_times]), ms([t[1] for t in native_times])),
    ]
    if dspy_times:
        rows.append(("dspy.streamify: first StreamResponse", ms([t[0] for t in dspy_times]),
                     ms([t[1] for t in dspy_times])))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; reply of {args.reply_chars} characters, "
          f"8 per event; median of {args.runs} runs\n")
    print("| measure | first | whole call |")
    print("|---|---|---|")
    for name, first, whole in rows:
        print(f"| {name} | {first} | {whole} |")
    gap = (statistics.median(t[0] for t in native_times) - first_byte) * 1e3
    print(f"\nnative's first chunk - the server's first byte: {gap:.3f} ms (target: <= 1 ms)\n")
    print("| native's first chunk, step by step | median |")
    print("|---|---|")
    for name, seconds in steps:
        print(f"| {name} | {seconds * 1e3:.3f} ms |")
    own = steps[0][1] + steps[2][1] + steps[3][1]
    print(f"\nnative's own time before its first chunk (all but the wait for the server): {own * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
