"""Named timeouts (``timeout_profiles``) and a module call's ``timeout=``, as the core keeps them.

The profiles are settings like any other (configure, context, ``DSPEX_TIMEOUT_PROFILES``); a
string wherever a timeout is taken names one. A module call's ``timeout=`` sets one end that
every LM call started inside keeps (:class:`lm_deadline.Deadline` reads it), and is never passed
to the backend as an option. The backends' behaviour under it is tested against slow servers in
tests/reliability/test_timeouts.py.
"""

from __future__ import annotations

import asyncio
import time

import pytest

import dspex_core as dspex
from dspex_core import ConfigError, InputError, LMTimeoutError
from dspex_core.backend import lm_deadline


def test_the_built_in_profiles_are_dspexs():
    assert dict(dspex.settings().timeout_profiles) == {"default": 120.0, "inference": 600.0, "streaming": 1800.0,
                                                       "batch": 3600.0}
    assert lm_deadline.check_timeout(lm_deadline.DEFAULT_PROFILE) == lm_deadline.DEFAULT_TIMEOUT == 600.0


def test_configure_changes_one_profile_keeps_the_others_and_adds_new_names():
    dspex.configure(timeout_profiles={"inference": 30, "quick": 1.5, "open": None})
    assert lm_deadline.check_timeout("inference") == 30.0
    assert lm_deadline.check_timeout("quick") == 1.5 and lm_deadline.check_timeout("open") is None
    assert lm_deadline.check_timeout("batch") == 3600.0
    with dspex.context(timeout_profiles={"batch": 5}):
        assert lm_deadline.check_timeout("batch") == 5.0
        assert lm_deadline.check_timeout("inference") == 600.0  # each setting lays its own over the built-ins
    assert lm_deadline.check_timeout("batch") == 3600.0


def test_the_environment_takes_json(monkeypatch):
    from dspex_core import config

    monkeypatch.setenv("DSPEX_TIMEOUT_PROFILES", '{"inference": 12}')
    config.reset()
    assert lm_deadline.check_timeout("inference") == 12.0


@pytest.mark.parametrize("profiles, message", [
    ({"inference": 0}, "'inference' must be a positive number of seconds or None"),
    ({"inference": "10"}, "'inference' must be a positive number"),
    ({"x": float("inf")}, "'x' must be a positive number"),
    ({"": 1}, "profile names are non-empty strings"),
    ([("inference", 1)], "must map profile names to seconds"),
    ("{not json", "not valid JSON"),
])
def test_bad_profiles_are_config_errors_naming_the_profile(profiles, message):
    with pytest.raises(ConfigError, match=message):
        dspex.configure(timeout_profiles=profiles)


def test_an_unknown_profile_name_lists_the_profiles():
    with pytest.raises(InputError) as info:
        lm_deadline.check_timeout("bacth")
    text = str(info.value)
    assert "'bacth' is not one" in text and "batch (3600 s)" in text and "inference (600 s)" in text


def test_a_module_calls_end_bounds_every_lm_call_started_inside():
    with lm_deadline.call_deadline(0.05):
        deadline = lm_deadline.Deadline(600.0, "m")
        assert deadline.bound_by_call == 0.05 and deadline.remaining() <= 0.05
        time.sleep(0.06)
        assert deadline.expired()
        error = deadline.error(attempts=1, status=None, reason="r")
    assert isinstance(error, LMTimeoutError) and isinstance(error, TimeoutError)
    assert "the module call's timeout=0.05 s" in str(error)
    after = lm_deadline.Deadline(600.0, "m")
    assert after.bound_by_call is None and after.remaining() > 599


def test_the_lm_calls_own_shorter_timeout_still_wins_and_a_nested_call_only_shortens():
    with lm_deadline.call_deadline(60):
        assert lm_deadline.Deadline(1.0, "m").bound_by_call is None
        assert lm_deadline.Deadline(None, "m").bound_by_call == 60.0
        with lm_deadline.call_deadline(3600):
            assert lm_deadline.Deadline(None, "m").bound_by_call == 60.0
        with lm_deadline.call_deadline(None):
            assert lm_deadline.Deadline(None, "m").bound_by_call == 60.0


def test_a_profile_names_the_module_calls_timeout():
    dspex.configure(timeout_profiles={"tight": 2})
    with lm_deadline.call_deadline("tight"):
        assert lm_deadline.Deadline(None, "m").bound_by_call == 2.0
    with pytest.raises(InputError, match="'nope' is not one"):
        with lm_deadline.call_deadline("nope"):
            pass


def test_the_end_is_task_local():
    async def inside(timeout):
        with lm_deadline.call_deadline(timeout):
            await asyncio.sleep(0)
            return lm_deadline.Deadline(None, "m").bound_by_call

    async def both():
        return await asyncio.gather(inside(5), inside(None))

    assert asyncio.run(both()) == [5.0, None]


class _Recorder:
    """A backend implementation (the contract's two required methods) that records what it gets."""

    def __init__(self):
        self.seen = []

    def create(self, spec, **options):
        return "state"

    def execute(self, state, inputs, **options):
        self.seen.append((dict(inputs), options, lm_deadline.Deadline(None, "m").bound_by_call))
        return dspex.Prediction(answer="a")


def test_ref_timeout_is_the_cores_option_never_the_backends():
    from dspex_core._module_ref import ModuleRef

    impl = _Recorder()
    ref = ModuleRef("rec", "predict", "state", "s", implementation=impl)
    ref(question="q", timeout=7)
    ref(question="q", config={"temperature": 0})
    asyncio.run(ref.acall(question="q", timeout="default"))
    assert impl.seen == [({"question": "q"}, {}, 7.0), ({"question": "q"}, {"config": {"temperature": 0}}, None),
                         ({"question": "q"}, {}, 120.0)]
