"""The HTTP client's ``ContextWindowExceededError``: recognised as dspy recognises it on each route
(lm15's provider rules on dspy's own engine, LiteLLM's on its route), never retried, and what a
native ReAct agent truncates on."""

from __future__ import annotations

import asyncio
import json

import pytest

from dspex_core import LM
from dspex_core.errors import ContextWindowExceededError, LMError
from dspex_core.testing import RecordingLM
from dspex_core.testing.fixtures import local_lm_server_factory  # noqa: F401 - fixture
from dspex_native.lm import HTTPLMClient
from dspex_native.lm.context_window import in_response, is_context_window_exceeded
from dspex_native.modules.react import implementation as react

MESSAGES = [{"role": "user", "content": "hello"}]
FAST = {"retry_base_delay": 0.001, "retry_max_delay": 0.01, "cache": False}


@pytest.mark.parametrize("status, body, expected", [
    (400, {"error": {"message": "too long", "type": "invalid_request_error", "code": "context_length_exceeded"}}, True),
    (400, {"error": {"message": "This model's maximum context length is 8192 tokens. However, you requested 9000."}},
     True),
    (400, {"error": {"message": "prompt is too long: 210000 tokens > 200000 maximum"}}, True),
    (400, {"error": {"message": "Input is too long for requested model."}}, True),
    (400, {"error": {"message": "Current length is 9000 while limit is 8192"}}, True),
    (400, {"error": {"message": "The input exceeds the available context size"}}, True),
    (500, {"error": {"message": "Requested token count exceeds the model's maximum context length of 4096"}}, True),
    (400, {"error": {"message": "Invalid 'user': string too long. Expected a string with maximum length 64"}}, False),
    (400, {"error": {"message": "string_above_max_length: prompt is too long"}}, False),
    (429, {"error": {"message": "prompt is too long", "code": "rate_limit_exceeded"}}, False),
    (400, {"error": {"message": "Invalid value for temperature", "code": "invalid_value"}}, False),
    (404, {"error": {"message": "The model does not exist"}}, False),
])
def test_a_context_window_answer_is_recognised(status, body, expected):
    assert in_response(status, json.dumps(body).encode()) is expected


def test_the_code_anywhere_in_a_text_body_counts():
    assert is_context_window_exceeded(400, 'upstream said {"code": "context_length_exceeded"}')
    assert not is_context_window_exceeded(400, "bad request")


def _lm(server, **settings) -> LM:
    return LM("openai/test-model", api_base=server.url, **{**FAST, **settings})


@pytest.mark.parametrize("engine, code", [("auto", "context_length_exceeded"), ("litellm", None)])
def test_the_client_raises_it_at_once_without_retrying(local_lm_server_factory, engine, code):  # noqa: F811
    server = local_lm_server_factory("unused")
    server.inject(status=400, message="This model's maximum context length is 16 tokens.", times=5, code=code)
    with pytest.raises(ContextWindowExceededError) as info:
        HTTPLMClient(_lm(server, num_retries=3, engine=engine))(MESSAGES)
    assert isinstance(info.value, LMError) and info.value.attempts == 1 and info.value.status == 400
    assert len(server.requests) == 1
    with pytest.raises(ContextWindowExceededError):
        asyncio.run(HTTPLMClient(_lm(server, num_retries=3, engine=engine)).acall(MESSAGES))
    assert len(server.requests) == 2


def test_on_dspys_own_engine_an_openai_style_answer_needs_the_code(local_lm_server_factory):  # noqa: F811
    """lm15 reads OpenAI's ``code`` only: the same words without it are an invalid request there."""
    server = local_lm_server_factory("unused")
    server.inject(status=400, message="This model's maximum context length is 16 tokens.")
    with pytest.raises(LMError) as info:
        HTTPLMClient(_lm(server, num_retries=3))(MESSAGES)
    assert not isinstance(info.value, ContextWindowExceededError) and info.value.status == 400


@pytest.mark.parametrize("engine, message, expected", [
    ("anthropic", "prompt is too long: 210000 tokens > 200000 maximum", True),
    ("anthropic", "Number of request tokens has exceeded your per-minute rate limit", True),  # lm15's words rule
    ("anthropic", "max_tokens: must be at most 8192", False),
    ("gemini", "The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).", True),
    ("gemini", "Request contains an invalid argument.", False),
    ("openai", "This model's maximum context length is 8192 tokens.", False),
])
def test_lm15s_rules_by_the_wire_it_speaks(engine, message, expected):
    assert in_response(400, json.dumps({"error": {"message": message}}).encode(), engine=engine) is expected


def test_other_client_errors_stay_lm_errors(local_lm_server_factory):  # noqa: F811
    server = local_lm_server_factory("unused")
    server.inject(status=400, message="Invalid value for 'temperature'")
    with pytest.raises(LMError) as info:
        HTTPLMClient(_lm(server, num_retries=3))(MESSAGES)
    assert not isinstance(info.value, ContextWindowExceededError)


def test_a_react_agent_over_http_ends_its_trajectory_when_a_prompt_does_not_fit(local_lm_server_factory):  # noqa: F811
    def add(a: int) -> int:
        """Add one."""
        return a + 1

    def chat(**fields):
        return "\n\n".join(f"[[ ## {k} ## ]]\n{json.dumps(v) if not isinstance(v, str) else v}"
                             for k, v in fields.items()) + "\n\n[[ ## completed ## ]]"

    server = local_lm_server_factory(RecordingLM([chat(next_thought="t", next_tool_name="add", next_tool_args={"a": 1}),
                                                  chat(reasoning="r", answer="done")]))
    # The first request passes; the second (one step in its trajectory) does not fit: a single
    # step cannot be dropped, so the loop ends there and the outputs are extracted.
    server.inject(delay=0.001).inject(status=400, message="This model's maximum context length is 64 tokens.",
                                      code="context_length_exceeded")
    pred = react.execute(react.create("question -> answer", tools=[add]), {"question": "q"},
                         lm=_lm(server, num_retries=2))
    assert len(server.requests) == 3
    assert pred.trajectory == {"thought_0": "t", "tool_name_0": "add", "tool_args_0": {"a": 1}, "observation_0": 2}
    assert pred.answer == "done"
