"""On the dspy backend dspy fires the callbacks itself, with its own instances: the same spans,
the response model, id and finish reasons read from ``dspy.LM``'s history, and no key."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # dspy stays offline

import dspex_core as dspex

from conftest import COT_REPLY, PLANTED_KEY, parent_of


def test_chain_of_thought_on_dspy(otel, lm, replies, server):
    replies.default = COT_REPLY
    pred = dspex.ChainOfThought.create("question -> answer", lm=lm, implementation="dspy",
                                       config={"temperature": 0.2})(question="q")
    spans = otel.spans()
    assert [s.name for s in spans] == ["chat local", "dspex.module predict", "dspex.module chain_of_thought"]
    chat, inner, outer = spans
    assert parent_of(chat, spans) is inner and parent_of(inner, spans) is outer
    assert outer.attributes["dspex.backend"] == "dspy"
    usage = pred.get_lm_usage()["openai/local"]
    assert {k: chat.attributes[k] for k in ("gen_ai.provider.name", "gen_ai.request.model", "gen_ai.request.temperature",
                                            "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
                                            "gen_ai.response.finish_reasons", "server.port")} == {
        "gen_ai.provider.name": "openai", "gen_ai.request.model": "local", "gen_ai.request.temperature": 0.2,
        "gen_ai.usage.input_tokens": usage["prompt_tokens"], "gen_ai.usage.output_tokens": usage["completion_tokens"],
        "gen_ai.response.finish_reasons": ("stop",), "server.port": server.port}
    assert chat.attributes["gen_ai.response.model"] and chat.attributes["gen_ai.response.id"]
    assert PLANTED_KEY not in otel.everything()
