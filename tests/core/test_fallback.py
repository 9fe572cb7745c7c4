"""Fallback: a backend's own failure hands over to the next candidate and says so in telemetry;
the user's mistakes and the LM's failures never do; forced backends never fall back."""

from __future__ import annotations

import asyncio

import pytest

import dspex_core as dspex
from dspex_core import registry, telemetry
from dspex_core.errors import AdapterParseError, CapabilityError, InputError, LMError

from core_test_plugins import BackendPlugin, Impl


def _install(first: Impl, second: Impl) -> None:
    registry._extra_plugins["first"] = BackendPlugin("first", ["predict"], native=True, priority=5, impl=first)
    registry._extra_plugins["second"] = BackendPlugin("second", ["predict"], priority=0, impl=second)
    registry.refresh()


def _record(event):
    seen = []
    telemetry.attach(event, lambda e, m, md: seen.append((e, dict(m), dict(md))))
    return seen


@pytest.mark.parametrize("error", [NotImplementedError("todo"), CapabilityError("no n>1"), RuntimeError("bug")])
def test_create_falls_back_and_emits_event(error):
    _install(Impl("first", create_error=error), Impl("second"))
    seen = _record(telemetry.FALLBACK)
    ref = dspex.create("predict", "q -> a")
    assert ref.backend == "second"
    assert len(seen) == 1
    event, measurements, metadata = seen[0]
    assert event == ("dspex", "router", "fallback")
    assert set(measurements) == {"timestamp"} and isinstance(measurements["timestamp"], int)
    assert metadata == {"operation": "create", "module_type": "predict", "from_implementation": "first",
                        "to_implementation": "second", "error": f"{type(error).__name__}: {error}"}


@pytest.mark.parametrize("error", [InputError("bad input"), LMError("down", model="m", status=500, attempts=3),
                                   AdapterParseError("unparseable", raw="xx"), dspex.SignatureError("bad sig")])
def test_no_fallback_for_user_or_lm_errors(error):
    _install(Impl("first", create_error=error), Impl("second"))
    seen = _record(telemetry.FALLBACK)
    with pytest.raises(type(error)):
        dspex.create("predict", "q -> a")
    assert seen == []


def test_allow_fallback_false_raises_first_failure():
    _install(Impl("first", create_error=NotImplementedError("todo")), Impl("second"))
    dspex.configure(allow_fallback=False)
    with pytest.raises(NotImplementedError, match="todo"):
        dspex.create("predict", "q -> a")


def test_forced_backend_never_falls_back():
    _install(Impl("first", create_error=NotImplementedError("todo")), Impl("second"))
    with pytest.raises(NotImplementedError):
        dspex.create("predict", "q -> a", implementation="first")
    with dspex.context(implementation_overrides={"predict": "first"}):
        with pytest.raises(NotImplementedError):
            dspex.create("predict", "q -> a")


def test_last_candidate_failure_propagates():
    _install(Impl("first", create_error=NotImplementedError("one")), Impl("second", create_error=RuntimeError("two")))
    seen = _record(telemetry.FALLBACK)
    with pytest.raises(RuntimeError, match="two"):
        dspex.create("predict", "q -> a")
    assert [md["to_implementation"] for _, _, md in seen] == ["second"]


def test_execute_falls_back_recreating_the_module_once():
    second = Impl("second")
    _install(Impl("first", execute_error=CapabilityError("n>1 not yet")), second)
    seen = _record(telemetry.FALLBACK)
    executed = _record(telemetry.EXECUTE)
    ref = dspex.create("predict", "q -> a", temperature=0.5)
    assert ref.backend == "first"
    assert ref(q="x").backend == "second"
    assert ref(q="y").backend == "second"
    assert len(second.created) == 1  # re-created once, with the original spec and options
    assert second.created[0]["spec"] == "q -> a" and second.created[0]["options"] == {"temperature": 0.5}
    assert [md["operation"] for _, _, md in seen] == ["execute", "execute"]
    statuses = [(md["implementation"], md["status"]) for _, _, md in executed]
    assert statuses == [("first", "CapabilityError"), ("second", "ok")] * 2


def test_execute_no_fallback_on_input_error():
    _install(Impl("first", execute_error=InputError("missing input 'q'")), Impl("second"))
    ref = dspex.create("predict", "q -> a")
    with pytest.raises(InputError, match="missing input"):
        ref()


def test_aexecute_falls_back():
    _install(Impl("first", execute_error=NotImplementedError("sync only")), Impl("second"))
    ref = dspex.create("predict", "q -> a")
    result = asyncio.run(ref.acall(q="x"))
    assert result.backend == "second" and result.q == "x"


def test_acreate_falls_back():
    _install(Impl("first", create_error=NotImplementedError("todo")), Impl("second"))
    ref = asyncio.run(dspex.acreate("predict", "q -> a"))
    assert ref.backend == "second"
