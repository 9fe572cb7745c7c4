"""The dspy backend and the context window: a custom LM object's dspex
``ContextWindowExceededError`` reaches dspy as dspy's own (so ``dspy.ReAct`` truncates its
trajectory, as native does), and one that escapes dspy comes back as dspex's."""

from __future__ import annotations

import asyncio

import pytest
from dspy_helpers import chat

import dspex_core as dspex
from dspex_core.errors import ContextWindowExceededError, LMError


def add(a: int) -> int:
    """Add one."""
    return a + 1


class WindowLM:
    """A custom LM object refusing prompts that hold more than ``limit`` steps."""

    model = "window-lm"

    def __init__(self, replies: list[str], limit: int):
        self.replies = list(replies)
        self.limit = limit
        self.steps: list[int] = []

    def __call__(self, messages, **settings):
        steps = messages[-1]["content"].count("[[ ## thought_")
        self.steps.append(steps)
        if steps > self.limit:
            raise ContextWindowExceededError(f"{steps} steps do not fit", model=self.model, status=400)
        return [self.replies.pop(0)]


def _replies() -> list[str]:
    return [chat(next_thought="t", next_tool_name="add", next_tool_args={"a": i}) for i in range(3)] + [
        chat(next_thought="t", next_tool_name="finish", next_tool_args={}), chat(reasoning="r", answer="done")]


@pytest.mark.parametrize("is_async", [False, True])
def test_dspy_react_truncates_when_a_custom_lm_says_the_prompt_does_not_fit(is_async):
    lm = WindowLM(_replies(), limit=2)
    ref = dspex.ReAct.create("question -> answer", tools=[add], implementation="dspy", lm=lm)
    pred = asyncio.run(ref.acall(question="q")) if is_async else ref(question="q")
    assert lm.steps == [0, 1, 2, 3, 2, 3, 2]
    assert list(pred.trajectory)[0] == "thought_2" and pred.answer == "done"


def test_a_context_window_error_escaping_dspy_is_dspexs():
    lm = WindowLM([chat(next_thought="t", next_tool_name="add", next_tool_args={"a": 1})], limit=0)
    ref = dspex.ReAct.create("question -> answer", tools=[add], implementation="dspy", lm=lm)
    with pytest.raises(ContextWindowExceededError, match="cannot be truncated") as info:
        ref(question="q")
    assert isinstance(info.value, LMError)
    assert lm.steps == [0, 1, 1]


def test_translate_error_keeps_the_kind_and_the_custom_lm_raises_dspys_own():
    from dspy.utils.exceptions import ContextWindowExceededError as DspyContextWindowExceededError
    from dspy.utils.exceptions import LMInvalidRequestError

    from dspex_dspy._errors import translate_error
    from dspex_dspy.lm import CustomLM

    translated = translate_error(DspyContextWindowExceededError(model="m", message="too long"))
    assert type(translated) is ContextWindowExceededError and translated.model == "m" and "too long" in str(translated)
    assert type(translate_error(LMInvalidRequestError("bad", model="m"))) is LMError

    def refuse(messages, **settings):
        raise ContextWindowExceededError("no room", model="mine", status=400)

    with pytest.raises(DspyContextWindowExceededError) as info:
        CustomLM(refuse).forward(messages=[{"role": "user", "content": "x"}])
    assert info.value.model == "mine" and info.value.status == 400 and "no room" in str(info.value)
    with pytest.raises(DspyContextWindowExceededError):
        asyncio.run(CustomLM(refuse).aforward(messages=[{"role": "user", "content": "x"}]))
