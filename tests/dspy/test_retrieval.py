"""retrieve and colbert_v2 through dspy, against a ColBERTv2-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from dspy_helpers import dspy_ref

import dspex_core as dspex

CORPUS = ["Paris is the capital of France.", "Berlin is the capital of Germany.", "Rome is in Italy.",
          "Madrid is in Spain."]


class ColBERTHandler(BaseHTTPRequestHandler):
    """The API dspy.ColBERTv2 calls: GET ?query=&k= (or POST JSON) -> {"topk": [{"text", "pid", "score"}]}."""

    requests: list[dict] = []

    def _answer(self, query: str, k: int) -> None:
        type(self).requests.append({"query": query, "k": k})
        words = set(query.lower().split())
        ranked = sorted(CORPUS, key=lambda t: -len(words & set(t.lower().rstrip(".").split())))
        body = {"topk": [{"text": t, "pid": i, "score": 1.0 / (i + 1)} for i, t in enumerate(ranked[:k])]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        params = parse_qs(urlparse(self.path).query)
        self._answer(params["query"][0], int(params["k"][0]))

    def do_POST(self):  # noqa: N802
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer(payload["query"], int(payload["k"]))

    def log_message(self, *args):
        pass


@pytest.fixture
def colbert_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ColBERTHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ColBERTHandler.requests = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/search"
    finally:
        server.shutdown()
        server.server_close()


def test_colbert_v2_returns_passages_from_the_server(colbert_url):
    # dspy caches ColBERTv2 requests on disk, keyed on URL and query; an ephemeral port can
    # repeat across runs, so the query carries a fresh token (it matches no passage).
    query = f"capital of France {uuid.uuid4().hex}"
    ref = dspex.ColBERTv2.create(url=colbert_url, implementation="dspy")
    pred = ref(query=query, k=2)
    assert pred.passages == ["Paris is the capital of France.", "Berlin is the capital of Germany."]
    assert ColBERTHandler.requests[-1] == {"query": query, "k": 2}


def test_colbert_v2_post_requests(colbert_url):
    ref = dspex.ColBERTv2.create(url=colbert_url, post_requests=True, implementation="dspy")
    assert ref(query="Italy Rome", k=1).passages == ["Rome is in Italy."]


def test_colbert_v2_needs_a_url_and_reports_a_dead_server():
    with pytest.raises(dspex.InputError, match="url="):
        dspex.ColBERTv2.create(implementation="dspy")
    ref = dspex.ColBERTv2.create(url="http://127.0.0.1:9/none", implementation="dspy")
    with pytest.raises(dspex.DspexError, match="127.0.0.1:9"):
        ref(query="unreachable question", k=1)


def test_retrieve_with_a_callable_rm_from_create():
    def rm(query, k):
        return [f"{query}-{i}" for i in range(k)]

    ref = dspex.Retrieve.create(k=2, rm=rm, implementation="dspy")
    assert ref(query="q").passages == ["q-0", "q-1"]
    assert ref(query="q", k=3).passages == ["q-0", "q-1", "q-2"]


def test_retrieve_uses_the_configured_rm_and_a_colbert_reference(colbert_url):
    colbert = dspex.ColBERTv2.create(url=colbert_url, implementation="dspy")
    dspex.configure(rm=colbert)
    ref = dspex.Retrieve.create(k=1, implementation="dspy")
    assert ref(query="Spain Madrid").passages == ["Madrid is in Spain."]


def test_retrieve_with_a_dspy_retriever(colbert_url):
    import dspy

    ref = dspex.Retrieve.create(k=1, rm=dspy.ColBERTv2(url=colbert_url), implementation="dspy")
    assert ref(query="Germany Berlin").passages == ["Berlin is the capital of Germany."]


def test_retrieve_without_rm_names_the_problem():
    ref = dspex.Retrieve.create(k=2, implementation="dspy")
    with pytest.raises(dspex.InputError, match=r"no retriever configured: dspex.configure\(rm=...\)"):
        ref(query="q")


def test_retrieve_bad_inputs():
    with pytest.raises(dspex.InputError, match="k must be"):
        dspy_ref("retrieve", k=0, rm=lambda q, k: [])
    ref = dspy_ref("retrieve", rm=lambda q, k: [])
    with pytest.raises(dspex.InputError, match="query="):
        ref(query=3)
    with pytest.raises(dspex.InputError, match="rm must be"):
        dspy_ref("retrieve", rm=42)
