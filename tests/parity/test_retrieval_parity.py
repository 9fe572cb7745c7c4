"""colbert_v2 and retrieve: native against the dspy backend and plain dspy, on one local server.

For the same server, query and k, native (httpx) must send the request ``requests`` sends for
``dspy.ColBERTv2`` (method, path with its query string, body, and the headers that matter:
Content-Type, Content-Length, Authorization, Accept), get the same passages (and the same
entries as dspy's ``dotdict``s), fail with the same dspex error class as the dspy backend, and
cache as dspy's ``request_cache`` does. dspy's cache is switched off (or to memory only) inside
each test and restored after it, so that every request dspy should make reaches the server.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from pathlib import Path

import dspy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import config
from dspex_core.errors import CapabilityError, InputError, LMError
from dspex_native.retrieval import clear_cache
from dspex_native.retrieval.colbert import ColBERTv2Client


def _load_server_module():
    path = Path(__file__).resolve().parents[1] / "native" / "_colbert_server.py"
    spec = importlib.util.spec_from_file_location("_colbert_server_for_parity", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_server_module = _load_server_module()
ColBERTServer = _server_module.ColBERTServer

HEADERS_THAT_MATTER = ("content-type", "content-length", "authorization", "accept")
# queries as users type them: unicode (no lone surrogates, which neither client can encode),
# spaces, and the characters a query string gives meaning to
# (a list joined, not st.text: st.text's alphabet would rarely draw the sampled characters)
QUERIES = st.lists(st.one_of(st.sampled_from([" ", "&", "#", "=", "+", "%", "?", "/", ";", "é", "✓", "\t",
                                              "capital", "Paris", "France"]),
                             st.characters(blacklist_categories=("Cs",))), max_size=15).map("".join)


@contextlib.contextmanager
def dspy_cache(memory: bool = False):
    """dspy's request cache off (or memory only) for the block, the session's cache after it."""
    old = dspy.cache
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=memory)
    try:
        yield
    finally:
        dspy.cache = old


@pytest.fixture(autouse=True)
def fresh():
    clear_cache()
    config.reset()
    with dspy_cache():
        yield
    config.reset()
    clear_cache()


@pytest.fixture
def server():
    with ColBERTServer() as running:
        yield running


def shape(request):
    return (request.method, request.path, request.body,
            tuple((name, request.headers.get(name)) for name in HEADERS_THAT_MATTER))


def three_ways(server, url, query, k, post):
    """Plain dspy's ColBERTv2, the dspy backend and native, one request each: their requests
    and results."""
    server.requests.clear()
    found = dspy.ColBERTv2(url=url, post_requests=post)(query, k=k)
    plain = [p.get("long_text", p.get("text")) for p in found]
    backend = dspex.ColBERTv2.create(url=url, post_requests=post, implementation="dspy")(query=query, k=k).passages
    native = dspex.ColBERTv2.create(url=url, post_requests=post, implementation="native")(query=query, k=k).passages
    assert len(server.requests) == 3, server.requests
    return [shape(r) for r in server.requests], (plain, backend, native), found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES, k=st.integers(1, 100), post=st.booleans())
def test_same_requests_and_passages(server, query, k, post):
    clear_cache()
    requests_, (plain, backend, native), _ = three_ways(server, server.url, query, k, post)
    assert requests_[0] == requests_[1] == requests_[2]
    assert plain == backend == native


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES, k=st.integers(1, 8), post=st.booleans())
def test_same_entries_as_dspys_dotdicts(server, query, k, post):
    clear_cache()
    found = dspy.ColBERTv2(url=server.url, post_requests=post)(query, k=k)
    entries = ColBERTv2Client(server.url, post).search(query, k)
    assert [dict(p) for p in found] == entries


def test_same_requests_with_credentials_a_query_string_and_a_port(server):
    url = server.url.replace("http://", "http://alice:p%40ss@") + "?index=wiki&x=a+b"
    for post in (False, True):
        requests_, results, _ = three_ways(server, url, "Paris & Rome #1", 2, post)
        assert requests_[0] == requests_[1] == requests_[2]
        assert dict(requests_[0][3])["authorization"].startswith("Basic ")
        assert results[0] == results[1] == results[2]
    server.requests.clear()
    dspy.ColBERTv2(url="http://127.0.0.1", port=server.port)("Madrid", k=1)
    dspex.ColBERTv2.create(url="http://127.0.0.1", port=str(server.port), implementation="native")(query="Madrid", k=1)
    assert shape(server.requests[0]) == shape(server.requests[1])


@pytest.mark.parametrize("post", [False, True])
def test_long_text_and_cut_to_k_as_dspy(server, post):
    entries = [{"text": f"t{i}", "pid": i, **({"long_text": f"long {i}"} if i % 2 else {})} for i in range(5)]
    server.reply = (200, json.dumps({"topk": entries}).encode())
    _, (plain, backend, native), found = three_ways(server, server.url, "anything", 3, post)
    assert plain == backend == native == (["t0", "t1", "t2"] if not post else ["t0", "long 1", "t2"])
    assert [dict(p) for p in found] == ColBERTv2Client(server.url, post).search("anything", 3)


# -- retrieve ------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES, k=st.integers(1, 6), call_k=st.one_of(st.none(), st.integers(1, 6)))
def test_retrieve_over_colbert_the_same_on_all_three(server, query, k, call_k):
    clear_cache()
    server.requests.clear()
    with dspy.context(rm=dspy.ColBERTv2(url=server.url)):
        plain = dspy.Retrieve(k=k)(query, k=call_k).passages
    inputs = {"query": query, **({"k": call_k} if call_k is not None else {})}
    passages = []
    for backend in ("dspy", "native"):
        rm = dspex.ColBERTv2.create(url=server.url, implementation=backend)
        ref = dspex.Retrieve.create(k=k, rm=rm, implementation=backend)
        passages.append(dspex.execute(ref, inputs).passages)
    assert plain == passages[0] == passages[1]
    assert len(server.requests) == 3 and len({shape(r) for r in server.requests}) == 1


PASSAGE = st.one_of(st.text(max_size=10), st.fixed_dictionaries({"text": st.text(max_size=10)}),
                    st.fixed_dictionaries({"long_text": st.text(max_size=10), "score": st.floats(0, 1)}))


@settings(max_examples=30, deadline=None)
@given(found=st.lists(PASSAGE, max_size=5), k=st.integers(1, 5), configured=st.booleans())
def test_retrieve_with_a_callable_rm(found, k, configured):
    calls = []

    def rm(query, k):
        calls.append((query, k))
        return found

    results = []
    for backend in ("dspy", "native"):
        with dspex.context(rm=rm if configured else None):
            ref = dspex.Retrieve.create(k=k, implementation=backend, **({} if configured else {"rm": rm}))
            results.append(ref(query="q").passages)
    with dspy.context(rm=lambda query, k: [dspy.dsp.utils.dotdict(long_text=p) if isinstance(p, str)
                                           else dspy.dsp.utils.dotdict({**p, "long_text": p.get("long_text",
                                                                                               p.get("text"))})
                                           for p in rm(query, k)]):
        results.append(dspy.Retrieve(k=k)("q").passages)
    assert results[0] == results[1] == results[2]
    assert calls == [("q", k)] * 3


# -- errors, bad input, cache, state -----------------------------------------------------------------
@pytest.mark.parametrize("reply, status", [
    ((500, b"index exploded"), 500), ((404, b"not here"), 404),
    ((200, b'{"error": true, "message": "no such index"}'), 200), ((200, b'{"results": []}'), 200),
    ((200, b'{"topk": [{"pid": 1}]}'), 200),
])
@pytest.mark.parametrize("post", [False, True])
def test_server_failures_are_the_same_lm_error(server, reply, status, post):
    server.reply = reply
    url = server.url.replace("http://", "http://bob:hunter22@")
    errors = []
    for backend in ("dspy", "native"):
        ref = dspex.ColBERTv2.create(url=url, post_requests=post, implementation=backend)
        with pytest.raises(LMError) as info:
            ref(query=f"failing {post}", k=1)
        errors.append(info.value)
        assert str(info.value).startswith(f"the ColBERTv2 server at {server.url} failed: ")
        assert "hunter22" not in str(info.value)
    if reply[0] >= 400:
        assert errors[0].status == errors[1].status == status
    if post and b"topk" in reply[1]:
        # plain dspy's POST form returns entries without text as they are (its Retrieve then fails
        # on .long_text); both dspex backends refuse them: a passage needs a text
        assert dspy.ColBERTv2(url=server.url, post_requests=post)(f"failing {post}", k=1) == [{"pid": 1}]
    else:  # plain dspy fails too (requests' HTTPError, ValueError, KeyError)
        with pytest.raises((ValueError, KeyError, OSError)):
            dspy.ColBERTv2(url=server.url, post_requests=post)(f"failing {post}", k=1)
    assert len(server.requests) == 3


def test_a_dead_server_is_the_same_lm_error():
    for backend in ("dspy", "native"):
        ref = dspex.ColBERTv2.create(url="http://127.0.0.1:9/none", implementation=backend)
        with pytest.raises(LMError, match=r"the ColBERTv2 server at http://127\.0\.0\.1:9/none failed: "):
            ref(query="unreachable question", k=1)


@pytest.mark.parametrize("inputs, words", [
    ({"query": "q", "k": 0}, "k must be a positive integer"),
    ({"query": "q", "k": 101}, "Only k <= 100 is supported"),
    ({"query": None}, "needs query="),
    ({"query": "q", "n": 1}, "takes query= and k="),
])
def test_bad_input_is_the_same_input_error_before_any_request(server, inputs, words):
    for backend in ("dspy", "native"):
        with pytest.raises(InputError, match=words):
            dspex.execute(dspex.ColBERTv2.create(url=server.url, implementation=backend), inputs)
    with pytest.raises(AssertionError, match="Only k <= 100"):  # dspy's own check, before its request
        dspy.ColBERTv2(url=server.url)("q", k=101)
    assert server.requests == []


@pytest.mark.parametrize("options", [{}, {"url": "ftp://x"}, {"url": "http://"}, {"url": "http://h", "port": "x"}])
def test_bad_urls_are_the_same_input_error(options):
    for backend in ("dspy", "native"):
        with pytest.raises(InputError, match="colbert_v2"):
            dspex.ColBERTv2.create(implementation=backend, **options)


def test_k_over_100_on_post_is_sent_as_dspy_sends_it(server):
    requests_, results, _ = three_ways(server, server.url, "everything", 150, True)
    assert requests_[0] == requests_[1] == requests_[2] and results[0] == results[1] == results[2]


def test_the_cache_makes_the_same_requests_as_dspys_request_cache(server):
    calls = [("Paris", 1, False), ("Paris", 1, False), ("Paris", 2, False), ("Paris", 1, True),
             ("Paris", 1, True), ("Rome", 1, False), ("Paris", 2, False)]
    seen = []
    for backend in ("dspy", "native"):
        server.requests.clear()
        with dspy_cache(memory=True):  # dspy's request_cache in memory, a fresh one
            refs = {post: dspex.ColBERTv2.create(url=server.url, post_requests=post, implementation=backend)
                    for post in (False, True)}
            for query, k, post in calls:
                refs[post](query=query, k=k)
        seen.append([shape(r) for r in server.requests])
    assert seen[0] == seen[1] and len(seen[0]) == 4


def test_async_twins_make_the_same_requests(server):
    import asyncio

    for post in (False, True):
        server.requests.clear()
        results = []
        for backend in ("dspy", "native"):
            ref = dspex.ColBERTv2.create(url=server.url, post_requests=post, implementation=backend)
            results.append(asyncio.run(ref.acall(query="Lisbon Portugal", k=2)).passages)
        assert results[0] == results[1]
        assert shape(server.requests[0]) == shape(server.requests[1])


def test_state_as_dspy_has_it(server):
    states = []
    for backend in ("dspy", "native"):
        ref = dspex.Retrieve.create(k=4, implementation=backend)
        states.append(ref.implementation.dump_state(ref.state))
        colbert = dspex.ColBERTv2.create(url=server.url, implementation=backend)
        with pytest.raises(CapabilityError, match="colbert_v2 has no learned state to dump"):
            colbert.implementation.dump_state(colbert.state)
        with pytest.raises(CapabilityError):
            ref.save("/tmp/never-written.json")
    assert states[0] == states[1] == dspy.Retrieve(k=4).dump_state() == {"k": 4}
