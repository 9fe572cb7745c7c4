"""Sessions: hooks at both ends, cleanup on error, per-thread/task current session."""

from __future__ import annotations

import asyncio
import threading

import pytest

import dspex_core as dspex
from dspex_core import _session, hookimpl, registry

from core_test_plugins import BackendPlugin


class SessionPlugin:
    def __init__(self, fail_end=False, fail_start=False):
        self.events = []
        self.fail_end = fail_end
        self.fail_start = fail_start

    @hookimpl
    def dspex_session_start(self, session):
        self.events.append(("start", session.id))
        if self.fail_start:
            raise RuntimeError("start broke")

    @hookimpl
    def dspex_session_end(self, session):
        self.events.append(("end", session.id))
        if self.fail_end:
            raise RuntimeError("end broke")


def test_session_scopes_modules_and_ends():
    plugin = SessionPlugin()
    registry.register_plugin(plugin, "sessions")
    registry.register_plugin(BackendPlugin("b", ["predict"]), "b")
    assert dspex.Predict.create("q -> a").session_id == "default"
    with dspex.session() as s:
        assert dspex.current_session() is s
        ref = dspex.Predict.create("q -> a")
        assert ref.session_id == s.id
        assert s.id in _session.active_sessions()
    assert s.ended and s.id not in _session.active_sessions()
    assert dspex.current_session() is None
    assert plugin.events == [("start", s.id), ("end", s.id)]


def test_session_cleanup_on_error():
    plugin = SessionPlugin()
    registry.register_plugin(plugin, "sessions")
    with pytest.raises(KeyError):
        with dspex.session("boom") as s:
            raise KeyError("user code failed")
    assert s.ended
    assert plugin.events == [("start", "boom"), ("end", "boom")]
    assert "boom" not in _session.active_sessions()
    assert dspex.current_session() is None


def test_failing_end_hook_warns_and_still_cleans_up():
    bad, good = SessionPlugin(fail_end=True), SessionPlugin()
    registry.register_plugin(bad, "bad")
    registry.register_plugin(good, "good")
    with pytest.warns(RuntimeWarning, match="end broke"):
        with dspex.session("s1"):
            pass
    assert ("end", "s1") in good.events
    assert "s1" not in _session.active_sessions()


def test_failing_start_hook_warns():
    registry.register_plugin(SessionPlugin(fail_start=True), "bad")
    with pytest.warns(RuntimeWarning, match="start broke"):
        with dspex.session("s2") as s:
            assert dspex.current_session() is s


def test_duplicate_running_session_id_is_rejected():
    with dspex.session("dup"):
        with pytest.raises(ValueError, match="already running"):
            with dspex.session("dup"):
                pass
    with dspex.session("dup"):  # free again once ended
        pass


def test_end_is_idempotent_and_thread_safe():
    plugin = SessionPlugin()
    registry.register_plugin(plugin, "sessions")
    s = _session.Session("race").start()
    threads = [threading.Thread(target=s.end) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert plugin.events.count(("end", "race")) == 1


def test_activate_in_worker_thread_and_tasks_are_isolated():
    seen = {}
    with dspex.session("outer") as s:
        def worker():
            seen["plain"] = _session.current_session_id()
            with s.activate():
                seen["activated"] = _session.current_session_id()

        t = threading.Thread(target=worker)
        t.start()
        t.join()

        async def main():
            async def task(name):
                with dspex.session(name):
                    await asyncio.sleep(0)
                    return _session.current_session_id()

            return await asyncio.gather(task("t1"), task("t2")), _session.current_session_id()

        assert asyncio.run(main()) == (["t1", "t2"], "outer")
    assert seen == {"plain": "default", "activated": "outer"}


def test_end_default_session_calls_end_hook():
    plugin = SessionPlugin()
    registry.register_plugin(plugin, "sessions")
    _session.end_default_session()
    assert plugin.events == [("end", "default")]
