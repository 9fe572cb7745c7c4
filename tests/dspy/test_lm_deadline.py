"""The dspy backend's LM call under dspex's deadline (dspex_dspy._deadline): the hooks into dspy are
in place on this dspy, they change nothing for dspy used directly, ``Retry-After`` is capped, the
native-only backoff settings are never sent, and ``retry_after_max`` survives dspy's ``copy``.

(tests/reliability/test_timeouts.py probes the whole calls against a slow server.)
"""

from __future__ import annotations

import dspy
import pytest
from dspy.clients import execution
from dspy.utils.exceptions import LMRateLimitError

import dspex_core as dspex
from dspex_core import LMTimeoutError
from dspex_core.backend import lm_deadline
from dspex_core.testing.server import LocalLMServer
from dspex_dspy import _deadline
from dspex_dspy.translate import to_dspy_lm


def test_every_hook_is_in_place_on_this_dspy():
    assert _deadline.HOOKED == {"retry wait": True, "sync transport": True}
    assert getattr(execution._delay, "_dspex_deadline", False)


def test_without_a_dspex_call_dspys_own_waits_are_unchanged():
    error = LMRateLimitError("slow down", model="m", retry_after=3600)
    assert execution._delay(error, 0) == 3600  # dspy used directly: as dspy does
    assert execution._delay(LMRateLimitError("x", model="m"), 2) == 4


def test_within_a_call_retry_after_is_capped_and_a_wait_past_the_deadline_is_refused():
    call = _deadline._Call(lm_deadline.Deadline(None, "openai/m"), retry_after_max=60.0)
    token = _deadline._current.set(call)
    try:
        assert execution._delay(LMRateLimitError("slow down", model="m", retry_after=3600), 0) == 60.0
        assert execution._delay(LMRateLimitError("slow down", model="m", retry_after=2), 1) == 2
        call.deadline = lm_deadline.Deadline(5.0, "openai/m")
        with pytest.raises(LMTimeoutError, match=r"after 2 attempts .*last status: 429.*Retry-After") as info:
            execution._delay(LMRateLimitError("slow down", model="m", retry_after=3600, status=429), 1)
    finally:
        _deadline._current.reset(token)
    assert info.value.attempts == 2 and info.value.status == 429


def test_native_only_backoff_settings_are_not_sent_and_retry_after_max_is_kept():
    lm = to_dspy_lm(dspex.LM("openai/m", api_base="http://127.0.0.1:9/v1", retry_base_delay=0.1, retry_max_delay=1,
                             retry_after_max=5, timeout=3))
    assert not {"retry_base_delay", "retry_max_delay", "retry_after_max"} & set(lm.kwargs)
    assert lm.retry_after_max == 5 and lm.kwargs["timeout"] == 3
    assert lm.copy(temperature=1.0).retry_after_max == 5
    assert "retry_after_max" not in lm.dump_state()


@pytest.mark.parametrize("settings, words", [({"timeout": 0}, "timeout must be a positive number"),
                                             ({"retry_after_max": -1}, "retry_after_max must be")])
def test_bad_deadline_settings_are_input_errors(settings, words):
    with pytest.raises(dspex.InputError, match=words):
        to_dspy_lm(dspex.LM("openai/m", api_base="http://127.0.0.1:9/v1", **settings))


def test_a_late_answer_within_the_timeout_arrives():
    with LocalLMServer("[[ ## answer ## ]]\nlate\n\n[[ ## completed ## ]]") as server:
        server.inject(delay=0.5)
        lm = dspex.LM("openai/m", api_base=server.url, api_key="sk-x", cache=False, timeout=20)
        assert dspex.Predict.create("question -> answer", implementation="dspy", lm=lm)(question="q").answer == "late"


def test_the_dspy_lm_is_still_dspys_own_managed_lm():
    lm = to_dspy_lm(dspex.LM("openai/m", api_base="http://127.0.0.1:9/v1"))
    assert isinstance(lm, dspy.LM) and isinstance(lm, _deadline.DeadlineLM)
    assert "forward" not in vars(type(lm)) and type(lm).forward is dspy.LM.forward  # not a legacy LM to dspy
