"""With an LM *description* (dspy.LM / dspex.LM) over HTTP, both backends send the same request
bodies, including the settings dspy's LM merges in and the JSON fallback's response_format."""

from __future__ import annotations

import warnings

import dspy
import pytest

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_core.testing.server import LocalLMServer
from dspex_native.predict import predict

warnings.filterwarnings("ignore")


def bodies(model, spec, replies, lm_settings, config, use_dspy, adapter="chat"):
    recorded = RecordingLM(list(replies))
    with LocalLMServer(recorded) as server:
        if use_dspy:
            lm = dspy.LM(model, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, **lm_settings)
            program = dspy.Predict(spec, **config)
            with dspy.context(lm=lm, adapter=dspy.JSONAdapter() if adapter == "json" else None):
                try:
                    program(q="x")
                except Exception:
                    pass
        else:
            lm = dspex.LM(model, api_base=server.url, api_key="sk-test", cache=False, num_retries=0, **lm_settings)
            state = predict.create(spec, adapter=adapter, **config)
            try:
                predict.execute(state, {"q": "x"}, lm=lm)
            except Exception:
                pass
        return [r["body"] for r in server.chat_requests]


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "openai/gpt-3.5-turbo", "openai/local-model"])
@pytest.mark.parametrize("spec", ["q -> a", "q -> a: int, b: list[str]", "q -> a: dict[str, int]"])
def test_request_bodies_match_dspy_lm(model, spec):
    replies = ["unparseable", '{"a": 1, "b": ["x"]}']
    lm_settings, config = {"temperature": 0.0, "max_tokens": 100}, {"n": 1}
    mine = bodies(model, spec, replies, lm_settings, config, use_dspy=False)
    theirs = bodies(model, spec, replies, lm_settings, config, use_dspy=True)
    assert len(mine) == len(theirs) == 2
    for a, b in zip(mine, theirs):
        assert a["messages"] and a["messages"] == b["messages"]
        assert a.get("response_format") == b.get("response_format")
    expected = {"openai/gpt-4o-mini": "json_object" if "dict" in spec else "json_schema",
                "openai/gpt-3.5-turbo": "json_object", "openai/local-model": None}[model]
    assert (mine[1].get("response_format") or {}).get("type") == expected
    for a, b in zip(mine, theirs):
        for key in ("temperature",):  # max_tokens naming and defaults are the HTTP client's concern
            assert a.get(key) == b.get(key), key


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "openai/gpt-3.5-turbo", "openai/local-model"])
def test_json_adapter_request_bodies_match_dspy_lm(model):
    spec, replies = "q -> a: int, b: list[str]", ['{"a": 1, "b": ["x"]}']
    mine = bodies(model, spec, replies, {}, {}, use_dspy=False, adapter="json")
    theirs = bodies(model, spec, replies, {}, {}, use_dspy=True, adapter="json")
    assert len(mine) == len(theirs) == 1
    assert mine[0]["messages"] == theirs[0]["messages"]
    assert mine[0].get("response_format") == theirs[0].get("response_format")
    assert (model == "openai/local-model") == ("response_format" not in mine[0])
