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


def test_the_backends_dspy_lm_scrubs_only_errors_that_hold_a_secret():
    from dspy.utils.exceptions import LMAuthError, LMTransportError

    from dspex_dspy._redacting_lm import RedactingLM, scrub
    from dspex_dspy.translate import to_dspy_lm

    lm = to_dspy_lm(dspex.LM("openai/x", api_key="custom-key-without-a-known-shape",
                             api_base="http://user:pw-1234@127.0.0.1:9/v1"))
    assert isinstance(lm, RedactingLM)
    try:
        try:
            raise RuntimeError("provider said: custom-key-without-a-known-shape is wrong")
        except RuntimeError as cause:
            raise LMAuthError("bad key custom-key-without-a-known-shape via user:pw-1234@host", model="openai/x") \
                from cause
    except LMAuthError as exc:
        assert scrub(exc, lm) is True
        assert "custom-key" not in str(exc) and "pw-1234" not in str(exc) and "custom-key" not in exc.message
        assert exc.__cause__ is None and exc.__context__ is None and str(exc).startswith("[openai/x] bad key")
    try:
        try:
            raise OSError("connection refused")
        except OSError as cause:
            raise LMTransportError("cannot connect", model="openai/x") from cause
    except LMTransportError as exc:
        assert scrub(exc, lm) is False
        assert isinstance(exc.__cause__, OSError) and str(exc) == "[openai/x] cannot connect"  # kept for debugging


def test_a_program_saved_with_the_backends_lm_loads_in_plain_dspy(tmp_path):
    import dspy

    from dspex_dspy.translate import to_dspy_lm

    program = dspy.Predict("q -> a")
    program.lm = to_dspy_lm(dspex.LM("openai/x", api_key=KEY, temperature=0.3))
    program.save(str(tmp_path / "p.json"))
    text = (tmp_path / "p.json").read_text()
    assert KEY not in text and "dspex" not in text.split('"metadata"')[0]
    loaded = dspy.Predict("q -> a")
    loaded.load(str(tmp_path / "p.json"))
    assert type(loaded.lm) is dspy.LM and loaded.lm.kwargs["temperature"] == 0.3
