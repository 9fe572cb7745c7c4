"""ReAct over real HTTP: native ``react`` through ``dspex.LM`` against plain ``dspy.ReAct``
through ``dspy.LM``, on one local OpenAI-compatible server.

The server answers from a case's script (:mod:`_react_cases`); when the script refuses a
request as too long, it answers as OpenAI does: HTTP 400 with the error code
``context_length_exceeded``. dspy.LM turns that into dspy's ``ContextWindowExceededError`` and
the native client into dspex's, so both agents truncate their trajectory the same way, without
retrying the request. The requests must carry the same messages (apart from traceback frames)
and model, in the same number and order, and the runs must end the same way.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import dspy
import pytest
from hypothesis import given

import dspex_core as dspex
from _dspy_oracle import to_dspy_signature
from _react_cases import Script, react_cases
from _react_runs import normalized_messages, comparable, outcome
from dspex_core.testing.conformance._react_tools import TOOLS
from dspex_core.errors import ContextWindowExceededError
from dspex_native.modules.react import implementation as native

warnings.filterwarnings("ignore", module="dspy")
KEY = "sk-test-react-http-0123456789"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        owner = self.server.owner  # type: ignore[attr-defined]
        owner.requests.append(body)
        settings_ = {k: v for k, v in body.items() if k not in ("model", "messages")}
        try:
            text = owner.script(body["messages"], settings_)
        except ContextWindowExceededError:
            self._send(400, {"error": {"message": "This model's maximum context length is 128 tokens.",
                                       "type": "invalid_request_error", "param": "messages",
                                       "code": "context_length_exceeded"}})
            return
        choices = [{"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                   for i in range(int(body.get("n") or 1))]
        self._send(200, {"id": "x", "object": "chat.completion", "model": body["model"], "choices": choices,
                         "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class _Server:
    def __init__(self) -> None:
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.http.owner = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/v1"
        self.requests: list[dict] = []
        self.script: Any = None
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def reset(self, spec: dict) -> None:
        self.requests = []
        self.script = Script(**spec)


@pytest.fixture(scope="module")
def server():
    served = _Server()
    yield served
    served.http.shutdown()


class _Calls:
    """The server's requests in the shape :func:`_react_runs.normalized_messages` reads."""

    def __init__(self, body: dict) -> None:
        self.messages = body["messages"]


def _run_native(server: _Server, case: dict, is_async: bool) -> tuple:
    lm = dspex.LM("openai/local-model", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    state = native.create(case["signature"], tools=[TOOLS[n] for n in case["tools"]], max_iters=case["max_iters"],
                          demos=list(case["demos"]), adapter=case["adapter"])
    options = {"lm": lm}
    if case["call_max_iters"] is not None:
        options["max_iters"] = case["call_max_iters"]
    if is_async:
        return outcome(lambda: asyncio.run(native.aexecute(state, dict(case["inputs"]), **options)))
    return outcome(lambda: native.execute(state, dict(case["inputs"]), **options))


def _run_dspy(server: _Server, case: dict, is_async: bool) -> tuple:
    lm = dspy.LM("openai/local-model", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    program = dspy.ReAct(to_dspy_signature(case["signature"]), tools=[TOOLS[n] for n in case["tools"]],
                         max_iters=case["max_iters"])
    for _, predictor in program.named_predictors():
        predictor.demos = [dspy.Example(**d) for d in case["demos"]]
    kwargs = dict(case["inputs"])
    if case["call_max_iters"] is not None:
        kwargs["max_iters"] = case["call_max_iters"]
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter() if case["adapter"] == "json" else None):
        if is_async:
            return outcome(lambda: asyncio.run(program.acall(**kwargs)))
        return outcome(lambda: program(**kwargs))


@given(react_cases(backend=True))
def test_native_over_http_runs_as_dspy_react_over_dspy_lm(server, case):
    case["script"]["value_error_calls"] = []  # an LM's ValueError has no HTTP form
    case["script"]["window"] = 1 if case["script"]["window"] is None else case["script"]["window"]
    is_async = len(case["tools"]) % 2 == 1
    results = []
    for run in (_run_native, _run_dspy):
        server.reset(case["script"])
        result = run(server, case, is_async)
        results.append((result, [_Calls(body) for body in server.requests], list(server.requests)))
    (mine, my_calls, my_bodies), (theirs, their_calls, their_bodies) = results
    assert len(my_calls) == len(their_calls), (mine, theirs)
    assert normalized_messages(my_calls) == normalized_messages(their_calls)
    assert [b["model"] for b in my_bodies] == [b["model"] for b in their_bodies]
    assert comparable(mine) == comparable(theirs)


def test_a_context_window_answer_is_never_retried(server):
    server.reset(dict(react_chat=[], react_json=[], extract_chat=[], extract_json=[],
                      extract_default={"reasoning": "r", "answer": "a"}, cwe_calls=[1, 2, 3, 4]))
    lm = dspex.LM("openai/local-model", api_base=server.url, api_key=KEY, cache=False, num_retries=3)
    state = native.create("question -> answer", tools=[])
    with pytest.raises(ContextWindowExceededError, match="cannot be truncated"):
        native.execute(state, {"question": "q"}, lm=lm)
    # react: refused, nothing to truncate, the loop ends; extract: refused, nothing to truncate: the error.
    assert len(server.requests) == 2
