"""The reward loops over real HTTP: native with ``dspex.LM`` against the dspy backend with ``dspy.LM``.

Both sides talk to one local OpenAI-compatible server and must send the same request bodies: each
attempt at ``temperature=1.0`` whatever the LM's own temperature (DSPy's ``lm.copy(rollout_id=...,
temperature=1.0)``), the rollout id never sent, Refine's advice request with the LM's own settings;
and a rollout id taken from the LM's own ``rollout_id`` keeps the attempts apart in the cache.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no model-metadata download

import pytest

import dspex_core as dspex
from _loop_runs import masked
from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-test-reward-http-0123456789"
ANSWER = "[[ ## answer ## ]]\nParis, the capital\n\n[[ ## completed ## ]]"
ADVICE = '[[ ## discussion ## ]]\nToo long.\n\n[[ ## advice ## ]]\n{"self": "One word."}\n\n[[ ## completed ## ]]'


def reply(messages, settings):
    return ADVICE if "`program_code`" in messages[0]["content"] else ANSWER


def one_word(args, pred):
    return 1.0 if len(pred.answer.split()) == 1 else 0.0


def bodies(backend: str, module_type: str, server, **lm_settings) -> list[dict]:
    server.reset()
    lm = dspex.LM("openai/local-model", api_base=server.url, api_key=KEY, num_retries=0, **lm_settings)
    inner = dspex.create("predict", "question -> answer", implementation=backend)
    ref = dspex.create(module_type, inner, N=3, reward_fn=one_word, threshold=1.0, implementation=backend)
    with contextlib.redirect_stdout(io.StringIO()):
        assert ref(question="Capital of France?", lm=lm).answer == "Paris, the capital"
    return [r["body"] for r in server.chat_requests]


@pytest.fixture(scope="module")
def server():
    with LocalLMServer(reply) as served:
        yield served


@pytest.mark.parametrize("module_type", ["best_of_n", "refine"])
@pytest.mark.parametrize("lm_settings", [{"temperature": 0.3, "rollout_id": 4, "cache": False}, {"cache": False}])
def test_native_sends_the_request_bodies_dspy_sends(server, module_type, lm_settings):
    native, reference = (bodies(b, module_type, server, **lm_settings) for b in ("native", "dspy"))
    assert len(native) == len(reference) == (3 if module_type == "best_of_n" else 5)
    for mine, theirs in zip(native, reference):
        mine = {**mine, "messages": [{**m, "content": masked(m["content"])} for m in mine["messages"]]}
        theirs = {**theirs, "messages": [{**m, "content": masked(m["content"])} for m in theirs["messages"]]}
        assert mine == theirs
    attempts = [b for b in native if "program_code" not in b["messages"][0]["content"]]
    assert all(b["temperature"] == 1.0 and "rollout_id" not in b for b in attempts)
    advice = [b for b in native if "program_code" in b["messages"][0]["content"]]
    assert all(b.get("temperature") == lm_settings.get("temperature") for b in advice)


def test_the_lms_own_rollout_id_starts_the_attempts_apart_from_the_cache(server):
    # cached: rollout ids 4, 5, 6 are three cache entries for one prompt, asked again from the cache
    native = bodies("native", "best_of_n", server, temperature=0.3, rollout_id=4)
    assert len(native) == 3
    assert bodies("native", "best_of_n", server, temperature=0.3, rollout_id=4) == []
    assert len(bodies("native", "best_of_n", server, temperature=0.3, rollout_id=5)) == 1  # 5, 6 cached; 7 new
    assert re.search("Capital of France", native[0]["messages"][-1]["content"])
