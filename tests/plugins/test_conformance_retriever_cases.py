"""The kit's retriever cases: its ColBERTv2-compatible server, the cases it draws, how two runs are
told apart, and the whole path (a server per run, the requests recorded) on a small retriever
backend registered in process, without dspy: every contract check passes for a right one, and
the ``retrieval`` property finds a wrong one's extra ``k`` in the request it sends.
"""

from __future__ import annotations

import json
import types
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from hypothesis import given, settings

import dspex_core as dspex
from dspex_core import Prediction, registry
from dspex_core.errors import InputError, LMError
from dspex_core.testing import strategies as ds
from dspex_core.testing.conformance import check_property
from dspex_core.testing.conformance._colbert_server import REPLIES, ColBERTv2Server
from dspex_core.testing.conformance._outcome import Outcome, run_case
from dspex_core.testing.conformance._properties import diff_retrieval
from dspex_core.testing.conformance._retriever_cases import BAD_URLS, RetrieverCase

CORPUS = ["Paris is the capital of France", "Rome is in Italy", "Madrid is in Spain"]


def fetch(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_server_answers_gets_and_posts_and_records_them_without_its_nonce():
    with ColBERTv2Server(CORPUS) as server:
        status, body = fetch(server.url + "?" + urlencode({"query": "capital France", "k": 2}))
        assert status == 200 and [e["text"] for e in json.loads(body)["topk"]] == CORPUS[:2]
        status, body = fetch(server.url, json.dumps({"query": "Rome", "k": 1}).encode())
        assert status == 200 and json.loads(body)["topk"][0]["text"] == "Rome is in Italy"
        first, second = server.requests
    assert server.nonce not in first["path"] and first["path"].startswith("/api/search?query=capital+France")
    assert (first["method"], first["body"], second["method"], second["path"]) == ("GET", "", "POST", "/api/search")
    assert json.loads(second["body"]) == {"query": "Rome", "k": 1} and second["content-type"] == "application/json"


@pytest.mark.parametrize("reply", REPLIES)
def test_the_server_answers_as_the_case_says(reply):
    with ColBERTv2Server(CORPUS, reply) as server:
        status, body = fetch(server.url + "?query=Rome&k=1")
    if reply.startswith("status_"):
        assert status == int(reply[-3:])
        return
    assert status == 200
    if reply == "not_json":
        with pytest.raises(ValueError):
            json.loads(body)
        return
    found = json.loads(body)
    if reply in ("error", "no_topk"):
        assert "topk" not in found
    elif reply == "no_text":
        assert found["topk"] and all("text" not in e for e in found["topk"])
    else:
        assert len(found["topk"]) == (len(CORPUS) if reply == "all" else 1)


@pytest.mark.parametrize("module_type", ["colbert_v2", "retrieve"])
def test_retriever_cases_are_well_formed_unless_asked(module_type):
    @settings(max_examples=40, deadline=None)
    @given(ds.cases(module_type, kinds=("well_formed",)))
    def draw(case):
        assert isinstance(case, RetrieverCase) and case.module_type == module_type and case.spec() is None
        assert case.reply in ("ranked", "long_text", "all") and case.url not in BAD_URLS
        assert isinstance(case.inputs["query"], str) and set(case.inputs) <= {"query", "k"}
        assert case.source != "none" and case.given != "configured"  # the thread check cannot see a context
        assert repr(case).startswith(f"RetrieverCase({module_type!r},")

    draw()


def test_each_run_gets_its_own_server_and_its_requests():
    case = RetrieverCase("colbert_v2", {"query": "Rome", "k": 1}, {}, corpus=CORPUS, reply="ranked",
                         url="credentials", post=False)
    urls = []
    for _ in range(2):
        with case.context():
            _, options, _ = case.make("any", None)
            urls.append(options["url"])
            assert options["url"].startswith("http://alice:p%40ss@127.0.0.1:") and options["post_requests"] is False
            plain = urlunsplit(urlsplit(options["url"])._replace(netloc=urlsplit(options["url"]).netloc.split("@")[1]))
            fetch(plain + "?query=Rome&k=1")
            assert [r["path"] for r in case.source_requests()] == ["/api/search?query=Rome&k=1"]
    assert urls[0] != urls[1]  # a fresh server (and nonce) per run: no cache hit between runs
    assert case.source_requests() == []  # outside a run


# -- telling two runs apart ----------------------------------------------------------------------
def ran(requests: list[dict[str, Any]], passages: Any = ("a",), error: Exception | None = None) -> Outcome:
    if error is not None:
        return Outcome("b", [], error=error, stage="execute", requests=requests)
    return Outcome("b", [], prediction=Prediction(passages=list(passages)), requests=requests)


GET = {"method": "GET", "path": "/api/search?query=q&k=1", "body": ""}


@pytest.mark.parametrize("mine, theirs, summary", [
    (ran([{**GET, "path": "/api/search?query=q&k=2"}]), ran([GET]), "retrieval: request 1 differs in path"),
    (ran([GET, GET]), ran([GET]), "retrieval: the backend sent 2 requests, the reference 1"),
    (ran([GET], ["b"]), ran([GET]), "retrieval: outputs: field 'passages' differs"),
    (ran([GET], error=LMError("x")), ran([GET], error=InputError("x")), "retrieval: outputs: different errors"),
])
def test_retrievals_that_differ_say_where(mine, theirs, summary):
    found = diff_retrieval(mine, theirs)
    assert found is not None and str(found).startswith(summary), str(found)
    assert diff_retrieval(theirs, theirs) is None


# -- a small colbert_v2 backend, right and wrong ----------------------------------------------------
class Colbert:
    """DSPy's ColBERTv2 client in a few lines (GET or POST, ``k=10`` by default); ``extra_k`` asks for one more."""

    def __init__(self, extra_k: bool = False):
        self.extra_k = extra_k

    def create(self, spec: Any = None, **options: Any) -> tuple[str, bool]:
        unknown = sorted(set(options) - {"url", "post_requests"})
        if unknown:
            raise InputError(f"unknown option(s) {unknown} for colbert_v2")
        url = options.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InputError(f"colbert_v2 needs url=, got {url!r}")
        return url, bool(options.get("post_requests"))

    def execute(self, state: tuple[str, bool], inputs: dict[str, Any], **options: Any) -> Prediction:
        url, post = state
        if set(inputs) - {"query", "k"} or not isinstance(inputs.get("query"), str):
            raise InputError("colbert_v2 takes query= and k=")
        k = inputs.get("k", 10)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1 or (k > 100 and not post):
            raise InputError(f"bad k {k!r}")
        k += self.extra_k
        parts = urlsplit(url)
        plain = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))
        if post:
            status, body = fetch(plain, json.dumps({"query": inputs["query"], "k": k}).encode())
        else:
            status, body = fetch(plain + ("&" if parts.query else "?") + urlencode({"query": inputs["query"], "k": k}))
        try:
            found = json.loads(body)["topk"][:k] if status == 200 else None
            passages = [e.get("long_text", e["text"]) if post else e["text"] for e in found]
        except (TypeError, ValueError, KeyError) as exc:
            raise LMError(f"the ColBERTv2 server failed: {status} {exc}") from None
        return Prediction(passages=passages)


@pytest.fixture
def colbert():
    names = []

    def install(name: str, implementation: Colbert) -> str:
        plugin = types.SimpleNamespace()

        @dspex.hookimpl
        def dspex_register_implementations(register):
            register("colbert_v2", implementation, backend=name, native=False, priority=-100)

        plugin.dspex_register_implementations = dspex_register_implementations
        registry.register_plugin(plugin, name)
        names.append(name)
        return name

    yield install
    for name in names:
        registry.unregister_plugin(name)


def test_a_right_retriever_keeps_the_contract_and_agrees_with_itself(colbert):
    from dspex_core.testing.conformance._contract_runner import CONTRACT_CHECKS, check_contract

    name = colbert("colbert_ok", Colbert())
    reports = {c: check_contract(name, "colbert_v2", c, reference=None, seed=2) for c in CONTRACT_CHECKS}
    assert {c: r.status for c, r in reports.items()} == dict.fromkeys(CONTRACT_CHECKS, "passed"), reports
    assert check_property(name, "colbert_v2", "retrieval", reference=name, examples=30, seed=2).passed


def test_the_retrieval_property_finds_a_request_for_one_passage_too_many(colbert):
    right, wrong = colbert("colbert_ok", Colbert()), colbert("colbert_k", Colbert(extra_k=True))
    report = check_property(wrong, "colbert_v2", "retrieval", reference=right, examples=30, seed=2)
    assert report.status == "differs", report
    assert str(report.difference).startswith("retrieval: request 1 differs in ")
    assert report.example.startswith("RetrieverCase('colbert_v2',")


def test_a_run_on_a_backend_records_the_requests_its_server_got(colbert):
    name = colbert("colbert_ok", Colbert())
    case = RetrieverCase("colbert_v2", {"query": "capital", "k": 2}, {}, corpus=CORPUS, reply="ranked", url="query",
                         post=True)
    outcome = run_case(name, case)
    assert outcome.ok and outcome.fields == [("passages", CORPUS[:2])]
    assert [(r["method"], r["path"], json.loads(r["body"])) for r in outcome.requests] == [
        ("POST", "/api/search?index=wiki&x=a+b", {"query": "capital", "k": 2})]
