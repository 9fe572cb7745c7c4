"""``dspex.inspect_history(n)`` prints what ``dspy.inspect_history(n)`` prints for the same calls.

Plain dspy (``dspy.Predict``/``dspy.ChainOfThought`` through ``dspy.LM``) and native dspex
(``dspex.LM``) make the same calls against one local OpenAI-compatible server, for generated
signatures, demos, inputs, adapters and replies; the two printouts are equal but for the
timestamps (each records its own clock), without colors (a file) and with them (stdout, DSPy's
default, ``colors=True`` for dspex). Calls made on the dspy backend are printed identically,
timestamps included (dspex records dspy's own entry). No API key is ever printed or kept.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import dspy
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

import dspex_core as dspex
from _dspy_oracle import to_dspy_signature
from _strategies_local import chat_replies, demos_for, inputs_for, signatures
from dspex_core._history import clear_history, history
from dspex_core.testing.server import LocalLMServer

warnings.filterwarnings("ignore", module="dspy")

KEY = "sk-history-parity-0123456789abcdef"
STAMP = re.compile(r"\[\d{4}-\d\d-\d\dT[\d:.]+\]")


class Replies:
    def __init__(self) -> None:
        self.script: list[str] = []

    def __call__(self, messages: list, settings: dict) -> list[str]:
        return [self.script[0]] * int(settings.get("n") or 1)


@pytest.fixture(scope="module")
def served():
    replies = Replies()
    with LocalLMServer(replies) as server:
        yield server, replies


@st.composite
def calls(draw) -> dict[str, Any]:
    sig = draw(signatures(exclude=("reasoning",)))
    module = draw(st.sampled_from(["predict", "chain_of_thought"]))
    return {"module": module, "signature": sig, "demos": draw(demos_for(sig, max_demos=2)),
            "inputs": draw(inputs_for(sig, allow_missing=False)), "reply": draw(chat_replies(sig)),
            "temperature": draw(st.sampled_from([None, 0.0, 0.7]))}


def _masked(text: str) -> str:
    return STAMP.sub("[TIME]", text)


def _dspy_call(case: dict[str, Any], lm: Any) -> None:
    cls = dspy.ChainOfThought if case["module"] == "chain_of_thought" else dspy.Predict
    program = cls(to_dspy_signature(case["signature"]))
    (program.predict if case["module"] == "chain_of_thought" else program).demos = [
        dspy.Example(**d) for d in case["demos"]]
    with dspy.context(lm=lm):
        program(**case["inputs"])


def _dspex_call(case: dict[str, Any], lm: Any, implementation: str) -> None:
    ref = dspex.create(case["module"], case["signature"], implementation=implementation, demos=case["demos"], lm=lm)
    ref(**case["inputs"])


def _ran(call: Any) -> bool:
    try:
        call()
    except Exception:  # noqa: BLE001 - a failed call records nothing on either side
        return False
    return True


@hsettings(deadline=None, max_examples=30)
@given(cases=st.lists(calls(), min_size=1, max_size=3))
def test_native_history_prints_as_dspys(served, cases):
    server, replies = served
    from dspy.clients.base_lm import GLOBAL_HISTORY

    GLOBAL_HISTORY.clear()  # both are bounded at 10,000: after a long run, lengths no longer count calls
    clear_history()
    dspy_before, native_before = 0, 0
    for case in cases:
        replies.script = [case["reply"]]
        extra = {"temperature": case["temperature"]} if case["temperature"] is not None else {}
        theirs = dspy.LM("openai/history-model", api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                         **extra)
        mine = dspex.LM("openai/history-model", api_base=server.url, api_key=KEY, cache=False, num_retries=0,
                        **extra)
        dspy_ok = _ran(lambda: _dspy_call(case, theirs))
        native_ok = _ran(lambda: _dspex_call(case, mine, "native"))
        assert dspy_ok == native_ok, case
    made = len(GLOBAL_HISTORY) - dspy_before
    assert len(history()) - native_before == made  # the same calls recorded, failed parses included
    if not made:
        return
    expected, shown = io.StringIO(), io.StringIO()
    dspy.inspect_history(made, file=expected)
    dspex.inspect_history(made, file=shown)
    assert _masked(shown.getvalue()) == _masked(expected.getvalue())
    assert "\x1b[" not in shown.getvalue() and KEY not in shown.getvalue()
    colored_dspy, colored, plain = _stdout(lambda: dspy.inspect_history(made)), \
        _stdout(lambda: dspex.inspect_history(made, colors=True)), _stdout(lambda: dspex.inspect_history(made))
    assert _masked(colored) == _masked(colored_dspy) and "\x1b[34m" in colored_dspy
    assert "\x1b[" not in plain  # stdout is not a terminal here: no colors, as dspex decides


def _stdout(call: Any) -> str:
    """What ``call`` prints to stdout (both printers look ``sys.stdout`` up when they print)."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        call()
    return out.getvalue()


def test_dspy_backend_calls_print_exactly_as_dspy_prints_them(served):
    server, replies = served
    replies.script = ["[[ ## reasoning ## ]]\nTwo and two.\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"]
    lm = dspex.LM("openai/history-model", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    cot = dspex.ChainOfThought.create("question -> answer", implementation="dspy", lm=lm)
    cot(question="2+2?")
    cot(question="3+1?", config={"n": 2})
    expected, shown = io.StringIO(), io.StringIO()
    dspy.inspect_history(2, file=expected)
    dspex.inspect_history(2, file=shown)
    assert shown.getvalue() == expected.getvalue()
    assert "(and 1 other completions)" in shown.getvalue()
    assert KEY not in shown.getvalue() and KEY not in repr(history())


def test_history_never_keeps_a_key_even_when_a_setting_carries_one(served):
    server, replies = served
    replies.script = ["[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"]
    for implementation in ("native", "dspy"):
        lm = dspex.LM("openai/history-model", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
        dspex.Predict.create("question -> answer", implementation=implementation, lm=lm)(question="q")
        entry = history(1)[0]
        assert KEY not in repr(entry) and entry["model"] == "openai/history-model"
