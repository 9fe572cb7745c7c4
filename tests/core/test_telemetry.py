"""Telemetry payloads exactly as documented in dspex_core.telemetry and docs/architecture.md."""

from __future__ import annotations

import asyncio
import warnings

import pytest

import dspex_core as dspex
from dspex_core import hookimpl, registry, telemetry

from core_test_plugins import BackendPlugin


def _record(event):
    seen = []
    telemetry.attach(event, lambda e, m, md: seen.append((e, dict(m), dict(md))))
    return seen


def _setup():
    registry._extra_plugins["nat"] = BackendPlugin("nat", ["predict"], native=True)
    registry._extra_plugins["oth"] = BackendPlugin("oth", ["predict", "react"])
    registry.refresh()


def test_route_event_payload_for_create_and_execute():
    _setup()
    seen = _record(("dspex", "router", "route"))
    ref = dspex.Predict.create("q -> a")
    dspex.Predict.execute(ref, {"q": "x"})
    ref2 = dspex.ReAct.create("q -> a")
    ref2(q="y")
    asyncio.run(ref2.acall(q="z"))
    assert [e for e, _, _ in seen] == [("dspex", "router", "route")] * 5
    for _, measurements, _ in seen:
        assert set(measurements) == {"timestamp"} and isinstance(measurements["timestamp"], int)
    assert [md for _, _, md in seen] == [
        {"operation": "create", "module_type": "predict", "implementation": "nat", "native_available": True},
        {"operation": "execute", "module_type": "predict", "implementation": "nat", "native_available": True},
        {"operation": "create", "module_type": "react", "implementation": "oth", "native_available": False},
        {"operation": "execute", "module_type": "react", "implementation": "oth", "native_available": False},
        {"operation": "execute", "module_type": "react", "implementation": "oth", "native_available": False},
    ]
    stamps = [m["timestamp"] for _, m, _ in seen]
    assert stamps == sorted(stamps)


def test_execute_event_payload():
    _setup()
    seen = _record(telemetry.EXECUTE)
    dspex.Predict.create("q -> a")(q="x")
    ((event, measurements, metadata),) = seen
    assert event == ("dspex", "module", "execute")
    assert set(measurements) == {"duration"} and measurements["duration"] >= 0
    assert metadata == {"module_type": "predict", "implementation": "nat", "status": "ok"}


def test_telemetry_disabled_emits_nothing():
    _setup()
    seen = []
    for event in (telemetry.ROUTE, telemetry.EXECUTE, telemetry.FALLBACK, telemetry.SESSION_START,
                  telemetry.SESSION_END):
        telemetry.attach(event, lambda e, m, md: seen.append(e))
    dspex.configure(telemetry_enabled=False)
    with dspex.session():
        dspex.Predict.create("q -> a")(q="x")
    assert seen == []
    with dspex.context(telemetry_enabled=True):
        dspex.Predict.create("q -> a")
    assert seen == [telemetry.ROUTE]


def test_session_events():
    _setup()
    starts, ends = _record(telemetry.SESSION_START), _record(telemetry.SESSION_END)
    with dspex.session("s-telemetry") as s:
        pass
    assert starts[0][2] == {"session_id": "s-telemetry"} and set(starts[0][1]) == {"timestamp"}
    assert ends[0][2] == {"session_id": s.id} and set(ends[0][1]) == {"timestamp", "duration"}


def test_broken_handler_is_detached_with_warning_and_call_succeeds():
    _setup()
    def broken(event, measurements, metadata):
        raise ValueError("handler bug")

    telemetry.attach(telemetry.ROUTE, broken)
    with pytest.warns(RuntimeWarning, match="detached"):
        ref = dspex.Predict.create("q -> a")
    assert not telemetry.has_handlers(telemetry.ROUTE)
    assert ref(q="x").q == "x"


def test_detach():
    handler = telemetry.attach(telemetry.ROUTE, lambda *a: None)
    assert telemetry.detach(telemetry.ROUTE, handler) is True
    assert telemetry.detach(telemetry.ROUTE, handler) is False
    assert telemetry.detach(["dspex", "router", "route"], handler) is False


class TelemetryPlugin:
    def __init__(self):
        self.seen = []

    @hookimpl
    def dspex_attach_telemetry(self, attach):
        attach(("dspex", "router", "route"), lambda e, m, md: self.seen.append(md["implementation"]))


def test_telemetry_hook_attaches_and_refresh_detaches():
    _setup()
    plugin = TelemetryPlugin()
    registry.register_plugin(plugin, "telemetry-plugin")
    dspex.Predict.create("q -> a")
    assert plugin.seen == ["nat"]
    registry.unregister_plugin("telemetry-plugin")
    dspex.Predict.create("q -> a")
    assert plugin.seen == ["nat"]
    assert not telemetry.has_handlers(telemetry.ROUTE)


def test_no_handlers_no_payload_built(monkeypatch):
    """With nobody listening, no event is emitted and none of its payload (a timestamp, the
    registry's native check) is computed: the calls cost nothing extra."""
    _setup()

    def must_not_run(*args, **kwargs):
        raise AssertionError("a telemetry payload was built with no handler attached")

    monkeypatch.setattr(telemetry, "emit", must_not_run)
    monkeypatch.setattr(telemetry, "timestamp", must_not_run)
    monkeypatch.setattr(registry, "has_native", must_not_run)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ref = dspex.Predict.create("q -> a")
        assert ref(q="x").q == "x"
        with dspex.session():
            dspex.Predict.create("q -> a")(q="y")


class RaisingPlugin:
    @hookimpl
    def dspex_register_implementations(self, register):
        raise RuntimeError("cannot register")


def test_plugin_error_event():
    seen = _record(telemetry.PLUGIN_ERROR)
    registry._extra_plugins["raiser"] = RaisingPlugin()
    with pytest.warns(RuntimeWarning, match="cannot register"):
        registry.refresh()
    ((event, measurements, metadata),) = seen
    assert event == ("dspex", "plugin", "error") and set(measurements) == {"timestamp"}
    assert metadata["plugin"] == "raiser"
    assert metadata["error"].startswith("dspex_register_implementations raised RuntimeError: cannot register")
