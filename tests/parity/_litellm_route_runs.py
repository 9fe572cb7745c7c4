"""One Predict case run natively and in plain dspy on LiteLLM's route against a fake provider
server (``dspex_core.testing.provider_server``), and the two runs compared: the same requests
(method, path, query, the headers named, whole JSON bodies), as many, and equal predictions or the
same refusal. Shared by the provider tests of LiteLLM's route (anthropic/, gemini/)."""

from __future__ import annotations

from typing import Any

import dspy
from dspy.utils.exceptions import LMUnsupportedFeatureError

import dspex_core as dspex
from _dspy_oracle import to_dspy_signature
from dspex_core.errors import ConfigError
from dspex_native.modules.predict import implementation as predict


def run(server: Any, case: dict, native: bool, replies: list, sig: Any, key: str) -> tuple[Any, list]:
    """``(completions or "refused", the requests the server got)`` of one side's run of ``case``."""
    server.load(replies)
    make = dspex.LM if native else dspy.LM
    lm = make(case["model"], engine="litellm", api_base=server.url, api_key=key, cache=False, num_retries=0,
              **case["lm_settings"])
    try:
        if native:
            state = predict.create(sig, demos=case["demos"])
            pred = predict.execute(state, {"question": case["question"]}, lm=lm, config=dict(case["call"]))
        else:
            program = dspy.Predict(to_dspy_signature(sig))
            program.demos = [dspy.Example(**d) for d in case["demos"]]
            with dspy.context(lm=lm):
                pred = program(question=case["question"], config=dict(case["call"]))
    except (ConfigError, LMUnsupportedFeatureError) as exc:
        assert "refuses" in str(exc) or "does not support" in str(exc)
        return "refused", server.requests
    return [dict(c) for c in pred.completions], server.requests


def assert_same_runs(server: Any, case: dict, replies: list, sig: Any, key: str,
                     headers: tuple[str, ...]) -> list[dict]:
    """Both sides' runs of ``case`` alike; returns native's requests. Bodies are compared as JSON
    objects, whose key order carries nothing (LiteLLM's own order of Gemini's generationConfig
    keys follows the call's settings on Python 3.10 and not on 3.11+)."""
    native, native_requests = run(server, case, True, replies, sig, key)
    reference, reference_requests = run(server, case, False, replies, sig, key)
    assert len(native_requests) == len(reference_requests)
    for mine, theirs in zip(native_requests, reference_requests):
        assert (mine["method"], mine["path"], mine["query"]) == (theirs["method"], theirs["path"], theirs["query"])
        assert mine["body"] == theirs["body"]
        for name in headers:
            assert mine["headers"].get(name) == theirs["headers"].get(name), name
    assert native == reference
    return native_requests
