"""The decision cache: memoised while nothing changes, recomputed when config or registry do."""

from __future__ import annotations

import dspex_core as dspex
from dspex_core import _router, registry

from core_test_plugins import BackendPlugin


def _select(module_type="predict", explicit=None):
    return _router.select(module_type, explicit, dspex.settings())


def test_cached_decision_is_reused():
    registry.register_plugin(BackendPlugin("a", ["predict"], native=True), "a")
    first = _select()
    assert _select() is first


def test_cache_off_decides_every_time():
    registry.register_plugin(BackendPlugin("a", ["predict"], native=True), "a")
    dspex.configure(implementation_cache=False)
    assert _select() is not _select()
    assert _select() == _select()


def test_registry_refresh_invalidates():
    registry.register_plugin(BackendPlugin("a", ["predict"], native=True, priority=0), "a")
    assert _select()[0][0].backend == "a"
    registry.register_plugin(BackendPlugin("b", ["predict"], native=True, priority=9), "b")
    assert _select()[0][0].backend == "b"
    registry.unregister_plugin("b")
    assert [r.backend for r in _select()[0]] == ["a"]


def test_configure_and_context_invalidate():
    registry.register_plugin(BackendPlugin("nat", ["predict"], native=True), "nat")
    registry.register_plugin(BackendPlugin("other", ["predict"]), "other")
    assert _select()[0][0].backend == "nat"
    dspex.configure(prefer_native=False)
    assert _select()[0][0].backend == "other"
    with dspex.context(implementation_overrides={"predict": "nat"}):
        assert [r.backend for r in _select()[0]] == ["nat"]
        dspex.configure(prefer_native=True)  # a global change inside the block still counts
        assert [r.backend for r in _select()[0]] == ["nat"]
    assert _select()[0][0].backend == "nat"


def test_clear_cache():
    registry.register_plugin(BackendPlugin("a", ["predict"]), "a")
    first = _select()
    _router.clear_cache()
    assert _select() is not first
