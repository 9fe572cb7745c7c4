"""The ``dspex_register_callbacks`` hook: a plugin installs process-wide callbacks by being loaded."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import dspex_core as dspex
from dspex_core import callbacks, hookimpl, registry

from core_test_plugins import BackendPlugin


class Recorder:
    def __init__(self, name: str = "r", seen: list | None = None):
        self.name, self.events = name, seen if seen is not None else []

    def on_module_start(self, call_id, instance, inputs):
        self.events.append((self.name, "start", call_id))

    def on_module_end(self, call_id, outputs, exception=None):
        self.events.append((self.name, "end", call_id))


class Listens:
    """A plugin that only installs callbacks (no backend, no executor)."""

    def __init__(self, *found: Any):
        self.found = found

    @hookimpl
    def dspex_register_callbacks(self, register):
        for callback in self.found:
            register(callback)


@pytest.fixture
def serving():
    registry._extra_plugins["serve"] = BackendPlugin("serve", ["predict"], native=True)
    registry.refresh()


def test_a_plugin_callback_hears_every_call_and_goes_with_the_plugin(serving):
    recorder = Recorder()
    registry.register_plugin(Listens(recorder), "listens")
    assert "dspex_register_callbacks" in next(p for p in registry.plugins() if p.name == "listens").hooks
    ref = dspex.Predict.create("q -> answer")
    ref(q="x")
    assert [e[1] for e in recorder.events] == ["start", "end"]
    registry.unregister_plugin("listens")
    assert callbacks._from_plugins == ()
    ref(q="y")
    assert len(recorder.events) == 2


def test_plugin_callbacks_come_before_the_configured_ones(serving):
    seen: list = []
    registry.register_plugin(Listens(Recorder("plugin", seen)), "listens")
    with dspex.context(callbacks=[Recorder("configured", seen)]):
        dspex.Predict.create("q -> answer")(q="x")
    assert [(name, when) for name, when, _ in seen] == [("plugin", "start"), ("configured", "start"),
                                                         ("plugin", "end"), ("configured", "end")]


@pytest.mark.parametrize("bad", [None, "cb", Recorder, object()])
def test_a_bad_callback_makes_the_plugin_broken_and_installs_nothing(serving, bad):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        registry.register_plugin(Listens(Recorder(), bad), "listens")
    info = next(p for p in registry.plugins() if p.name == "listens")
    assert "dspex_register_callbacks raised PluginError" in info.error and "BaseCallback" in info.error
    assert callbacks._from_plugins == ()


def test_a_kind_no_callback_handles_makes_no_id_and_leaves_the_active_id(serving):
    seen = []

    class ModulesOnly:
        def on_module_start(self, call_id, instance, inputs):
            seen.append(call_id)

    started = callbacks.start("lm", (ModulesOnly(),), None, {})
    assert started == (None, None) and callbacks.ACTIVE_CALL_ID.get() is None
    callbacks.end("lm", (ModulesOnly(),), started, None)
    with callbacks.Events("module", (ModulesOnly(),), None, {}):
        assert callbacks.ACTIVE_CALL_ID.get() == seen[0]
    assert len(seen[0]) == 32 and int(seen[0], 16) >= 0


def test_an_end_handler_alone_still_gets_an_id():
    ends = []

    class EndsOnly:
        def on_lm_end(self, call_id, outputs, exception=None):
            ends.append(call_id)

    with callbacks.Events("lm", (EndsOnly(),), None, {}):
        active = callbacks.ACTIVE_CALL_ID.get()
    assert ends == [active] and active is not None


def test_a_pipeline_run_fires_its_own_event_pair_around_the_steps(serving):
    seen: list = []

    class Pipelines(Recorder):
        def on_pipeline_start(self, call_id, instance, inputs):
            seen.append(("pipeline start", instance, inputs))

        def on_pipeline_end(self, call_id, outputs, exception=None):
            seen.append(("pipeline end", outputs, exception))

    p = dspex.pipeline([("serve", dspex.Predict, {"signature": "q -> answer"})])
    with dspex.context(callbacks=[Pipelines("m", seen)]):
        result = dspex.run_pipeline(p, {"q": "x"})
    assert [e[0] for e in seen] == ["pipeline start", "m", "m", "pipeline end"]
    assert seen[0][1] is p and seen[0][2] == {"inputs": {"q": "x"}}
    assert seen[-1][1] is result and seen[-1][2] is None
