"""Native colbert_v2 and retrieve, alone, against a ColBERTv2-like server on 127.0.0.1.

The requests must be DSPy's (checked request by request against real dspy in
tests/parity/test_retrieval_parity.py); here: the GET and POST forms, k, the per-process
cache, the server's failures as LMError, bad input refused before any request, async twins,
describe and state, and retrieve over every kind of rm.
"""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from _colbert_server import CORPUS, ColBERTServer

import dspex_core as dspex
from dspex_core import config
from dspex_core.errors import CapabilityError, InputError, LMError
from dspex_native.retrieval import clear_cache, colbert


@pytest.fixture(autouse=True)
def fresh():
    clear_cache()
    config.reset()
    yield
    config.reset()
    clear_cache()


@pytest.fixture
def server():
    with ColBERTServer() as running:
        yield running


def colbert_ref(url, **options):
    return dspex.ColBERTv2.create(url=url, implementation="native", **options)


# -- the requests ------------------------------------------------------------------------------
def test_get_request_and_passages(server):
    ref = colbert_ref(server.url)
    assert ref.backend == "native"
    pred = ref(query="capital of France", k=2)
    assert pred.passages == ["Paris is the capital of France.", "Berlin is the capital of Germany."]
    [request] = server.requests
    assert request.method == "GET"
    assert request.path == "/api/search?query=capital+of+France&k=2"
    assert request.body == b""
    assert "authorization" not in request.headers and "content-type" not in request.headers


def test_get_query_is_form_encoded_as_requests_does(server):
    colbert_ref(server.url)(query="a&b #c/d é+✓", k=1)
    assert server.requests[0].path == "/api/search?query=a%26b+%23c%2Fd+%C3%A9%2B%E2%9C%93&k=1"
    assert server.requests[0].params == {"query": ["a&b #c/d é+✓"], "k": ["1"]}


def test_get_keeps_the_urls_own_query_string(server):
    colbert_ref(server.url + "?index=wiki")(query="Rome", k=1)
    assert server.requests[0].path == "/api/search?index=wiki&query=Rome&k=1"


def test_post_request_and_passages(server):
    ref = colbert_ref(server.url, post_requests=True)
    assert ref(query="Italy Rome ✓", k=1).passages == ["Rome is in Italy."]
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/api/search")
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.body == b'{"query": "Italy Rome \\u2713", "k": 1}'
    assert request.headers["content-length"] == str(len(request.body))


def test_default_k_is_dspys_10_and_topk_is_cut_to_k(server):
    ref = colbert_ref(server.url)
    assert len(ref(query="Spain").passages) == len(CORPUS)  # the corpus has 6 < 10
    assert server.requests[0].params["k"] == ["10"]
    server.reply = (200, json.dumps({"topk": [{"text": f"t{i}"} for i in range(9)]}).encode())
    assert ref(query="more than asked", k=3).passages == ["t0", "t1", "t2"]
    post = colbert_ref(server.url, post_requests=True)
    assert post(query="more than asked", k=2).passages == ["t0", "t1"]


def test_port_option_and_url_as_spec(server):
    ref = dspex.ColBERTv2.create(url="http://127.0.0.1", port=server.port, implementation="native")
    ref(query="Berlin", k=1)
    assert server.requests[-1].path == "/?query=Berlin&k=1"
    by_spec = dspex.ColBERTv2.create(server.url, implementation="native")
    assert by_spec(query="Berlin", k=1).passages == ["Berlin is the capital of Germany."]


def test_post_passages_prefer_long_text_and_get_sets_it_from_text(server):
    entries = [{"text": "short", "long_text": "the long one", "pid": 1}, {"text": "only text"}]
    server.reply = (200, json.dumps({"topk": entries}).encode())
    assert colbert_ref(server.url, post_requests=True)(query="q", k=2).passages == ["the long one", "only text"]
    assert colbert_ref(server.url)(query="q", k=2).passages == ["short", "only text"]  # GET: long_text = text


def test_credentials_go_as_basic_auth_and_never_into_errors_or_describe(server):
    url = server.url.replace("http://", "http://alice:s3cret@")
    ref = colbert_ref(url)
    assert "s3cret" not in repr(ref.describe()) and ref.describe()["url"] == server.url
    ref(query="Paris", k=1)
    expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert server.requests[0].headers["authorization"] == expected
    server.reply = (500, b"failed for http://alice:s3cret@somewhere and s3cret")
    with pytest.raises(LMError) as info:
        ref(query="Paris again", k=1)
    assert "s3cret" not in str(info.value) and server.url in str(info.value)


# -- the cache ---------------------------------------------------------------------------------
def test_one_request_per_form_url_query_and_k(server):
    get, post = colbert_ref(server.url), colbert_ref(server.url, post_requests=True)
    first = get(query="Madrid", k=2)
    assert get(query="Madrid", k=2).passages == first.passages
    assert colbert_ref(server.url)(query="Madrid", k=2).passages == first.passages  # another module, same server
    assert len(server.requests) == 1
    get(query="Madrid", k=3)
    post(query="Madrid", k=2)
    get(query="Madrid ", k=2)
    assert [(r.method, r.params.get("k")) for r in server.requests] == [
        ("GET", ["2"]), ("GET", ["3"]), ("POST", None), ("GET", ["2"])]
    clear_cache()
    get(query="Madrid", k=2)
    assert len(server.requests) == 5


def test_a_cached_answer_is_a_copy(server):
    ref = colbert_ref(server.url)
    ref(query="Lisbon", k=1).passages.append("mine")
    assert ref(query="Lisbon", k=1).passages == ["Lisbon is the capital of Portugal."]
    assert len(server.requests) == 1


def test_failures_are_not_cached(server):
    ref = colbert_ref(server.url)
    server.reply = (503, b"busy")
    with pytest.raises(LMError):
        ref(query="Vienna", k=1)
    server.reply = None
    assert ref(query="Vienna", k=1).passages == ["Vienna is in Austria."]
    assert len(server.requests) == 2


# -- the server's failures ---------------------------------------------------------------------
@pytest.mark.parametrize("reply, status, words", [
    ((500, b"index exploded"), 500, "HTTP 500: index exploded"),
    ((404, b""), 404, "HTTP 404"),
    ((200, b'{"error": true, "message": "no such index"}'), 200, "ColBERTv2 server returned an error: no such index"),
    ((200, b'{"error": "yes"}'), 200, "returned an error: Unknown error"),
    ((200, b'{"results": []}'), 200, "ColBERTv2 server returned an unexpected response"),
    ((200, b"<html>"), 200, "not JSON"),
    ((200, b"[1, 2]"), 200, "not a JSON object"),
    ((200, b'{"topk": "abc"}'), 200, "'topk' is not a list of objects"),
    ((200, b'{"topk": [{"pid": 1}]}'), 200, "has no 'text'"),
])
def test_server_failures_are_lm_errors_naming_the_url(server, reply, status, words):
    server.reply = reply
    for post in (False, True):
        with pytest.raises(LMError) as info:
            colbert_ref(server.url, post_requests=post)(query=f"failing {post}", k=1)
        assert words in str(info.value)
        assert str(info.value).startswith(f"the ColBERTv2 server at {server.url} failed: ")
        assert info.value.status == status and info.value.attempts == 1


def test_connection_failure_and_timeout(server, monkeypatch):
    with pytest.raises(LMError, match=r"at http://127\.0\.0\.1:9/x failed: connection error") as info:
        colbert_ref("http://127.0.0.1:9/x")(query="unreachable", k=1)
    assert info.value.status is None
    assert colbert.TIMEOUT == 10.0
    monkeypatch.setattr(colbert, "_POOL_KEY", ("colbert_v2 test", "", 0.2))
    server.delay = 1.0
    with pytest.raises(LMError, match="failed: timeout: ReadTimeout"):
        colbert_ref(server.url)(query="slow", k=1)


def test_a_failing_server_is_not_retried_on_another_backend(server):
    server.reply = (500, b"down")
    ref = dspex.ColBERTv2.create(url=server.url)  # routed: native, dspy may be a fallback
    with pytest.raises(LMError):
        ref(query="no fallback", k=1)
    assert len(server.requests) == 1


# -- bad input, refused before any request -------------------------------------------------------
@pytest.mark.parametrize("inputs, words", [
    ({"query": "q", "k": 0}, "k must be a positive integer, got 0"),
    ({"query": "q", "k": -3}, "k must be a positive integer"),
    ({"query": "q", "k": True}, "k must be a positive integer, got True"),
    ({"query": "q", "k": "3"}, "k must be a positive integer, got '3'"),
    ({"query": "q", "k": 101}, "Only k <= 100 is supported"),
    ({"query": 3}, r"needs query= \(a string\), got 3"),
    ({"k": 2}, "needs query="),
    ({"query": "q", "top": 2}, "takes query= and k=, not 'top'"),
])
def test_bad_call_inputs(server, inputs, words):
    with pytest.raises(InputError, match=words):
        dspex.execute(colbert_ref(server.url), inputs)
    assert server.requests == []


def test_k_over_100_is_allowed_on_post_as_dspy_allows_it(server):
    assert len(colbert_ref(server.url, post_requests=True)(query="all", k=150).passages) == len(CORPUS)
    assert server.requests[0].json() == {"query": "all", "k": 150}
    with pytest.raises(InputError, match="unknown option"):
        dspex.execute(colbert_ref(server.url), {"query": "q"}, lm="x")


@pytest.mark.parametrize("options, words", [
    ({}, r"needs url= \(the server's http\(s\) URL\), got 'None'"),
    ({"url": "ftp://127.0.0.1/x"}, "needs url="),
    ({"url": "127.0.0.1:8893/api"}, "needs url="),
    ({"url": "http://"}, "has no host"),
    ({"url": "http://127.0.0.1:port/x"}, "not a valid URL"),
    ({"url": "http://127.0.0.1", "port": "http"}, "port= must be a port number"),
    ({"url": "http://127.0.0.1", "port": 70000}, "port= must be a port number"),
    ({"url": "http://127.0.0.1", "port": "³"}, "port= must be a port number"),  # a digit int() cannot read
    ({"url": "http://127.0.0.1", "k": 3}, r"unknown option\(s\) 'k' for 'colbert_v2' on the native backend"),
])
def test_bad_create_options(options, words):
    with pytest.raises(InputError, match=words):
        dspex.ColBERTv2.create(implementation="native", **options)


def test_a_bad_url_never_shows_its_credentials():
    with pytest.raises(InputError) as info:
        dspex.ColBERTv2.create(url="http://bob:hunter2@", implementation="native")
    assert "hunter2" not in str(info.value)


# -- async -------------------------------------------------------------------------------------
def test_async_get_and_post_share_the_cache_with_sync_calls(server):
    get, post = colbert_ref(server.url), colbert_ref(server.url, post_requests=True)

    async def main():
        a = await get.acall(query="capital of Germany", k=1)
        b = await post.acall(query="capital of Germany", k=1)
        many = await asyncio.gather(*(get.acall(query=f"capital {i}", k=1) for i in range(5)))
        return a, b, many

    a, b, many = asyncio.run(main())
    assert a.passages == b.passages == ["Berlin is the capital of Germany."]
    assert [p.passages for p in many] == [["Paris is the capital of France."]] * 5
    assert get(query="capital of Germany", k=1).passages == a.passages
    assert len(server.requests) == 7
    assert [r.method for r in server.requests[:2]] == ["GET", "POST"]


def test_async_errors_and_bad_input(server):
    ref = colbert_ref(server.url)
    server.reply = (500, b"async failure")

    async def main():
        with pytest.raises(LMError, match="HTTP 500: async failure"):
            await ref.acall(query="q", k=1)
        with pytest.raises(InputError, match="Only k <= 100"):
            await ref.acall(query="q", k=500)

    asyncio.run(main())
    assert len(server.requests) == 1


# -- state and describe --------------------------------------------------------------------------
def test_colbert_has_no_state(server):
    ref = colbert_ref(server.url, post_requests=True)
    assert ref.describe()["url"] == server.url and ref.describe()["post_requests"] is True
    impl = ref.implementation
    with pytest.raises(CapabilityError, match="colbert_v2 has no learned state to dump"):
        impl.dump_state(ref.state)
    with pytest.raises(CapabilityError, match="colbert_v2 has no learned state to load"):
        impl.load_state(None, {}, url=server.url)
    with pytest.raises(CapabilityError, match="no learned state to save"):
        ref.save("/tmp/never-written.json")


def test_retrieve_state_is_dspys_k():
    ref = dspex.Retrieve.create(k=5, implementation="native")
    impl = ref.implementation
    assert impl.dump_state(ref.state) == {"k": 5}
    loaded = impl.load_state(None, {"k": 4}, rm=lambda query, k: [f"passage {i}" for i in range(k)])
    assert impl.execute(loaded, {"query": "q"})["passages"] == [f"passage {i}" for i in range(4)]
    assert impl.dump_state(loaded) == {"k": 4}
    with pytest.raises(InputError, match="does not fit: k must be a positive integer"):
        impl.load_state(None, {"k": 0})
    with pytest.raises(CapabilityError, match="retrieve has no learned state to save"):
        ref.save("/tmp/never-written.json")
    assert ref.describe()["k"] == 5 and ref.describe()["rm"] is None


# -- retrieve ----------------------------------------------------------------------------------
def test_retrieve_with_a_callable_rm():
    calls = []

    def rm(query, k):
        calls.append((query, k))
        return [f"{query}-{i}" for i in range(k)]

    ref = dspex.Retrieve.create(rm=rm, implementation="native")
    assert ref.backend == "native"
    assert ref(query="q").passages == ["q-0", "q-1", "q-2"]  # DSPy's default k=3
    assert ref(query="q", k=1).passages == ["q-0"]
    assert calls == [("q", 3), ("q", 1)]


def test_retrieve_reads_passages_as_dspy_does():
    class DotDict(dict):
        def __getattr__(self, name):
            try:
                return self[name]
            except KeyError:
                raise AttributeError(name) from None

    found = ["plain", {"text": "from text"}, {"long_text": "from long_text", "text": "x"},
             DotDict(long_text="dotdict")]
    assert dspex.Retrieve.create(rm=lambda q, k: found, implementation="native")(query="q").passages == [
        "plain", "from text", "from long_text", "dotdict"]
    assert dspex.Retrieve.create(rm=lambda q, k: "one", implementation="native")(query="q").passages == ["one"]
    bad = dspex.Retrieve.create(rm=lambda q, k: [{"score": 1}], implementation="native")
    with pytest.raises(InputError, match="the retriever returned {'score': 1}"):
        bad(query="q")


def test_retrieve_over_a_colbert_reference_configured_or_per_call(server):
    colbert_native = colbert_ref(server.url)
    dspex.configure(rm=colbert_native)
    ref = dspex.Retrieve.create(k=1, implementation="native")
    assert ref(query="Spain Madrid").passages == ["Madrid is in Spain."]
    assert server.requests[-1].params["k"] == ["1"]
    other = colbert_ref(server.url, post_requests=True)
    assert dspex.execute(ref, {"query": "Austria", "k": 2}, rm=other).passages == [
        "Vienna is in Austria.", "Paris is the capital of France."]
    assert server.requests[-1].method == "POST"
    with pytest.raises(InputError, match=r"unknown option\(s\) 'lm'"):
        dspex.execute(ref, {"query": "q"}, lm="x")


def test_retrieve_without_rm_or_with_a_bad_one():
    ref = dspex.Retrieve.create(k=2, implementation="native")
    with pytest.raises(InputError, match=r"no retriever configured: dspex.configure\(rm=...\)"):
        ref(query="q")
    dspex.configure(rm=42)
    with pytest.raises(InputError, match="rm must be a callable"):
        ref(query="q")
    with pytest.raises(InputError, match="rm must be a callable"):
        dspex.Retrieve.create(rm="colbert", implementation="native")
    with pytest.raises(InputError, match="k must be a positive integer"):
        dspex.Retrieve.create(k=0, rm=lambda q, k: [], implementation="native")
    with pytest.raises(InputError, match="retrieve takes no spec"):
        dspex.Retrieve.create("question -> answer", implementation="native")
    with pytest.raises(InputError, match=r"unknown option\(s\) 'url'"):
        dspex.Retrieve.create(url="http://x", implementation="native")


def test_retrieve_passes_the_retrievers_errors_through():
    def rm(query, k):
        raise KeyError("the user's own")

    with pytest.raises(KeyError, match="the user's own"):
        dspex.Retrieve.create(rm=rm, implementation="native")(query="q")


def test_retrieve_async_with_sync_async_and_module_rms(server):
    async def arm(query, k):
        await asyncio.sleep(0)
        return [query.upper()] * k

    colbert_native = colbert_ref(server.url)

    async def main():
        a = await dspex.Retrieve.create(k=2, rm=arm, implementation="native").acall(query="q")
        b = await dspex.Retrieve.create(k=1, rm=lambda q, k: [q], implementation="native").acall(query="s")
        c = await dspex.Retrieve.create(k=1, rm=colbert_native, implementation="native").acall(query="Rome")
        return a, b, c

    a, b, c = asyncio.run(main())
    assert (a.passages, b.passages, c.passages) == (["Q", "Q"], ["s"], ["Rome is in Italy."])
    with pytest.raises(InputError, match="rm is asynchronous"):
        dspex.Retrieve.create(rm=arm, implementation="native")(query="q")
