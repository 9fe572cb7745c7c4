"""Keys and URL credentials never reach a dspy-backend error, even when the provider echoes them.

Real providers answer a bad key with a 401 whose message quotes (part of) it; a proxy URL may
carry ``user:password@``. The dspy backend redacts both from the LMError it raises and does
not chain the unredacted dspy exception onto it.
"""

from __future__ import annotations

import traceback

import pytest
from dspy_helpers import chat, dspy_ref

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_core.testing.server import LocalLMServer

KEY = "sk-SECRET-abcdef123456"
PLAIN_KEY = "plainsecretvalue"  # not key-shaped: only knowing the LM's key catches it


def _full_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


@pytest.mark.parametrize("key", [KEY, PLAIN_KEY])
def test_a_401_echoing_the_key_is_redacted(key):
    with LocalLMServer(RecordingLM(chat(answer="x"))) as server:
        server.inject(status=401, times=3, message=f"Incorrect API key provided: {key}")
        lm = dspex.LM("openai/test-model", api_base=server.url, api_key=key, cache=False, num_retries=0)
        ref = dspy_ref("predict", "question -> answer", lm=lm)
        with pytest.raises(dspex.LMError) as info:
            ref(question="q")
    text = _full_text(info.value)
    assert key not in text
    assert "Incorrect API key provided" in text and "<hidden>" in text
    assert info.value.status == 401


def test_url_credentials_are_redacted_from_connection_errors():
    lm = dspex.LM("openai/test-model", api_base="http://proxyuser:proxypass@127.0.0.1:9/v1", api_key=KEY,
                  cache=False, num_retries=0)
    ref = dspy_ref("predict", "question -> answer", lm=lm)
    with pytest.raises(dspex.LMError) as info:
        ref(question="q")
    text = _full_text(info.value)
    assert "proxypass" not in text and KEY not in text


def test_lm_repr_hides_url_credentials_and_keys():
    lm = dspex.LM("openai/m", api_base="http://u:pw@host/v1", api_key=KEY)
    assert "pw" not in repr(lm) and KEY not in repr(lm) and "host/v1" in repr(lm)
