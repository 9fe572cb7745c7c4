"""The native LM client's response cache: hits, misses, rollout_id, cache=False, the disk store."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dspex_core import LM, LMError
from dspex_core.testing.fixtures import local_lm_server, local_lm_server_factory  # noqa: F401 - fixtures
from dspex_native.lm import HTTPLMClient, LMCache
from dspex_native.lm.cache import cache_key

MESSAGES = [{"role": "user", "content": "what is caching?"}]
SECRET = "sk-cache-SECRET-99887766"


def counter_responder():
    state = {"n": 0}

    def respond(messages, settings):
        state["n"] += 1
        return f"reply {state['n']}"

    return respond


def lm_for(server, **settings):
    return LM("openai/cache-model", api_base=server.url, retry_base_delay=0.001, **settings)


def test_second_identical_call_is_a_hit(local_lm_server_factory):
    server = local_lm_server_factory(counter_responder())
    client = HTTPLMClient(lm_for(server))
    assert client(MESSAGES) == ["reply 1"]
    assert client(MESSAGES) == ["reply 1"]
    assert len(server.requests) == 1
    assert client.usage.cache_hits == 1 and client.usage.total.calls == 1


def test_different_request_is_a_miss(local_lm_server_factory):
    server = local_lm_server_factory(counter_responder())
    client = HTTPLMClient(lm_for(server))
    client(MESSAGES)
    assert client(MESSAGES, temperature=0.9) == ["reply 2"]
    assert client([{"role": "user", "content": "other"}]) == ["reply 3"]
    assert client(MESSAGES, n=2) == ["reply 4", "reply 5"]  # two requests (dspy's own engine), one answer cached
    assert len(server.requests) == 5
    assert client(MESSAGES, n=2) == ["reply 4", "reply 5"] and len(server.requests) == 5


def test_rollout_id_is_part_of_the_key(local_lm_server_factory):
    server = local_lm_server_factory(counter_responder())
    client = HTTPLMClient(lm_for(server, temperature=1.0))
    assert client(MESSAGES, rollout_id=1) == ["reply 1"]
    assert client(MESSAGES, rollout_id=2) == ["reply 2"]
    assert client(MESSAGES, rollout_id=1) == ["reply 1"]
    assert client(MESSAGES) == ["reply 3"]
    assert len(server.requests) == 3
    assert all("rollout_id" not in r["body"] for r in server.requests)


def test_cache_false_always_reaches_the_server(local_lm_server_factory):
    server = local_lm_server_factory(counter_responder())
    off = HTTPLMClient(lm_for(server, cache=False))
    assert [off(MESSAGES), off(MESSAGES)] == [["reply 1"], ["reply 2"]]
    on = HTTPLMClient(lm_for(server))
    on(MESSAGES)
    assert on(MESSAGES, cache=False) == ["reply 4"]
    assert len(server.requests) == 4
    assert all("cache" not in r["body"] for r in server.requests)


def test_errors_are_not_cached(local_lm_server_factory):
    server = local_lm_server_factory(counter_responder())
    server.inject(status=400)
    client = HTTPLMClient(lm_for(server))
    with pytest.raises(LMError) as info:
        client(MESSAGES)
    assert info.value.status == 400
    assert client(MESSAGES) == ["reply 1"]
    assert len(server.requests) == 2


def test_disk_cache_survives_a_new_client(local_lm_server_factory, tmp_path):
    server = local_lm_server_factory(counter_responder())
    lm = lm_for(server, cache_dir=str(tmp_path), api_key=SECRET)
    assert HTTPLMClient(lm)(MESSAGES) == ["reply 1"]
    fresh = HTTPLMClient(lm)
    assert len(fresh.cache) == 0
    assert fresh(MESSAGES) == ["reply 1"]
    assert len(server.requests) == 1
    files = list(tmp_path.glob("??/*.json"))
    assert len(files) == 1
    text = files[0].read_text()
    assert SECRET not in text and json.loads(text)["completions"] == ["reply 1"]


def test_disk_cache_from_environment(local_lm_server_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("DSPEX_CACHE_DIR", str(tmp_path))
    server = local_lm_server_factory(counter_responder())
    HTTPLMClient(lm_for(server))(MESSAGES)
    assert HTTPLMClient(lm_for(server))(MESSAGES) == ["reply 1"]
    assert len(server.requests) == 1 and list(tmp_path.glob("??/*.json"))


def test_key_ignores_credentials(local_lm_server_factory, tmp_path):
    server = local_lm_server_factory(counter_responder())
    HTTPLMClient(lm_for(server, cache_dir=str(tmp_path), api_key="sk-one-111111"))(MESSAGES)
    assert HTTPLMClient(lm_for(server, cache_dir=str(tmp_path), api_key="sk-two-222222"))(MESSAGES) == ["reply 1"]
    assert len(server.requests) == 1


def test_corrupt_disk_entry_is_a_miss(local_lm_server_factory, tmp_path):
    server = local_lm_server_factory(counter_responder())
    lm = lm_for(server, cache_dir=str(tmp_path))
    HTTPLMClient(lm)(MESSAGES)
    for path in tmp_path.glob("??/*.json"):
        path.write_text("{not json")
    assert HTTPLMClient(lm)(MESSAGES) == ["reply 2"]


def test_lru_evicts_least_recently_used():
    cache = LMCache(maxsize=2)
    cache.put("a", ["1"])
    cache.put("b", ["2"])
    assert cache.get("a") == ["1"]  # a is now the most recent
    cache.put("c", ["3"])
    assert cache.get("b") is None and cache.get("a") == ["1"] and cache.get("c") == ["3"]
    assert len(cache) == 2
    cache.clear()
    assert cache.get("a") is None


def test_memory_size_zero_keeps_nothing_in_memory(tmp_path):
    cache = LMCache(maxsize=0, directory=tmp_path)
    cache.put("k" * 64, ["x"])
    assert len(cache) == 0 and cache.get("k" * 64) == ["x"]


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                       max_size=3), max_leaves=8)


@given(body=st.dictionaries(st.text(max_size=5), json_values, max_size=5), rollout=st.none() | st.integers())
def test_cache_key_is_deterministic_and_order_free(body, rollout):
    reordered = dict(reversed(list(body.items())))
    key = cache_key(model="m", base_url="http://h/v1", body=body, rollout_id=rollout)
    assert key == cache_key(model="m", base_url="http://h/v1", body=reordered, rollout_id=rollout)
    assert key != cache_key(model="m2", base_url="http://h/v1", body=body, rollout_id=rollout)
    assert key != cache_key(model="m", base_url="http://h/v1", body=body, rollout_id=("other", rollout))
