"""An answer cached under one credential is served to another only where DSPy does so, and
``cache_key_includes_credentials=True`` makes a revoked key fail as it should, on both backends.

The server (:mod:`secret_echo_server`) answers only a valid key and refuses (401) a revoked one.
Each test makes the same request twice, first with the valid key, then with the revoked one:

* DSPy's rule (the default): the cache key is the request without ``api_key``/``api_base``, so
  the second call is answered from the cache (dspy's cache; native's disk cache, which uses the
  same rule) without contacting the server;
* with ``cache_key_includes_credentials=True`` the second call reaches the server and fails.

Every request is unique to its test (a fresh question), so no test sees another's cache entries.
"""

from __future__ import annotations

import uuid

import pytest
from secret_echo_server import SecretEchoServer

import dspex_core as dspex

VALID, REVOKED = "tok_valid_1111aaaa", "tok_revoked_2222bbbb"
MODEL = "openai/test-model"
BACKENDS = ("native", "dspy")


def _ask(backend: str, lm: dspex.LM, question: str) -> str:
    return dspex.Predict.create("question -> answer", implementation=backend, lm=lm)(question=question).answer


def _settings(backend: str, server: SecretEchoServer, tmp_path, **more) -> dict:
    """An LM that caches: dspy's default cache; native's disk cache (its memory cache belongs to
    one client, one set of credentials, and never crosses keys)."""
    disk = {"cache_dir": str(tmp_path / "cache")} if backend == "native" else {}
    return {"api_base": server.url, "num_retries": 0, **disk, **more}


@pytest.mark.parametrize("backend", BACKENDS)
def test_by_default_a_cached_answer_is_served_to_another_key_as_in_dspy(backend, tmp_path):
    question = f"q-{uuid.uuid4()}"
    with SecretEchoServer(valid={VALID}) as server:
        first = _ask(backend, dspex.LM(MODEL, api_key=VALID, **_settings(backend, server, tmp_path)), question)
        second = _ask(backend, dspex.LM(MODEL, api_key=REVOKED, **_settings(backend, server, tmp_path)), question)
    assert first == second == "from the server"
    assert len(server.requests) == 1  # the revoked key never reached the server


@pytest.mark.parametrize("backend", BACKENDS)
def test_with_the_option_a_revoked_key_reaches_the_server_and_fails(backend, tmp_path):
    question = f"q-{uuid.uuid4()}"
    with SecretEchoServer(valid={VALID}) as server:
        settings = _settings(backend, server, tmp_path, cache_key_includes_credentials=True)
        assert _ask(backend, dspex.LM(MODEL, api_key=VALID, **settings), question) == "from the server"
        with pytest.raises(dspex.LMError) as info:
            _ask(backend, dspex.LM(MODEL, api_key=REVOKED, **settings), question)
        again = _ask(backend, dspex.LM(MODEL, api_key=VALID, **settings), question)
    assert info.value.status == 401 and REVOKED not in str(info.value)
    assert [r["presented"] for r in server.requests][:2] == [{VALID}, {REVOKED}]
    assert again == "from the server"
    # native keeps caching per credential (the valid key's answer comes from its cache); dspy has
    # no way to key its cache by credential without sending it, so the option turns its cache off
    assert len(server.requests) == (2 if backend == "native" else 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_with_the_option_a_key_rotated_in_the_environment_reaches_the_server(backend, tmp_path, monkeypatch):
    question = f"q-{uuid.uuid4()}"
    with SecretEchoServer(valid={VALID}) as server:
        settings = _settings(backend, server, tmp_path, cache_key_includes_credentials=True)
        monkeypatch.setenv("OPENAI_API_KEY", VALID)
        assert _ask(backend, dspex.LM(MODEL, **settings), question) == "from the server"
        monkeypatch.setenv("OPENAI_API_KEY", REVOKED)
        with pytest.raises(dspex.LMError) as info:
            _ask(backend, dspex.LM(MODEL, **settings), question)
    assert info.value.status == 401 and len(server.requests) == 2


def test_with_the_option_native_keys_its_disk_cache_by_header_and_url_credentials(tmp_path):
    """A revoked ``X-Api-Key`` or ``user:password@`` misses the cache too (dspy keys its cache by
    headers already, and with the option does not cache)."""
    question = f"q-{uuid.uuid4()}"
    with SecretEchoServer(valid={VALID, f"alice:{VALID}"}) as server:
        settings = _settings("native", server, tmp_path, cache_key_includes_credentials=True)
        header = {**settings, "api_key": "unused-key"}
        assert _ask("native", dspex.LM(MODEL, extra_headers={"X-Api-Key": VALID}, **header), question)
        with pytest.raises(dspex.LMError):
            _ask("native", dspex.LM(MODEL, extra_headers={"X-Api-Key": REVOKED}, **header), question)
        url = {**settings, "api_base": server.url_with(f"alice:{VALID}")}
        assert _ask("native", dspex.LM(MODEL, **url), question)
        with pytest.raises(dspex.LMError):
            _ask("native", dspex.LM(MODEL, **{**url, "api_base": server.url_with(f"alice:{REVOKED}")}), question)
    assert len(server.requests) == 4


def test_the_option_must_be_a_bool():
    with pytest.raises(dspex.ConfigError, match="cache_key_includes_credentials"):
        dspex.LM(MODEL, cache_key_includes_credentials="yes")
