"""The whole selection table, checked against a small oracle written from the rules in docs/architecture.md.

Backends are real plugin objects registered in-process; hypothesis draws which backends
exist (name, native, priority, module types) and the configuration (explicit
``implementation=``, ``implementation_overrides``, ``prefer_native``, ``allow_fallback``,
``implementation_cache``), then both ``_router.select`` and ``dspex.create`` are compared
with the oracle.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import _router, registry
from dspex_core.errors import BackendNotInstalledError, ModuleTypeNotServedError, UnknownModuleTypeError

from conftest import reset_world
from core_test_plugins import BackendPlugin

SERVABLE = ("predict", "chain_of_thought", "metrics")
QUERIED = (*SERVABLE, "react", "frobnicate")  # react: known but unserved; frobnicate: unknown
NAMES = ("native", "dspy", "third", "extra")
CHOICES = (None, "auto", "python", *NAMES, "missing")

backend_specs = st.lists(
    st.tuples(st.sampled_from(NAMES), st.booleans(), st.integers(-3, 3),
              st.lists(st.sampled_from(SERVABLE), unique=True, max_size=3)),
    unique_by=lambda b: b[0], max_size=4,
)


def oracle(backends, module_type, explicit, overrides, prefer_native, allow_fallback):
    """Expected (ordered backend names, fallback) or the expected exception type."""
    alias = {"python": "dspy", "auto": None}
    forced = alias.get(explicit, explicit)
    if forced is None:
        forced = alias.get(overrides.get(module_type), overrides.get(module_type))
    serving = {name for name, _, _, types in backends if types}
    served_by = [b for b in backends if module_type in b[3]]
    if forced is not None:
        if forced not in serving:
            return BackendNotInstalledError
        if not any(b[0] == forced for b in served_by):
            served_anywhere = bool(served_by)
            if not served_anywhere and module_type not in registry.KNOWN_MODULE_TYPES:
                return UnknownModuleTypeError
            return ModuleTypeNotServedError
        return [forced], False
    if not served_by:
        return ModuleTypeNotServedError if module_type in registry.KNOWN_MODULE_TYPES else UnknownModuleTypeError
    by_priority = sorted(served_by, key=lambda b: (-b[2], b[0]))  # ties: by name, for a stable order
    natives = [b[0] for b in by_priority if b[1]]
    others = [b[0] for b in by_priority if not b[1]]
    return (natives + others if prefer_native else others + natives), allow_fallback


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    backends=backend_specs,
    module_type=st.sampled_from(QUERIED),
    explicit=st.sampled_from(CHOICES),
    overrides=st.dictionaries(st.sampled_from(QUERIED), st.sampled_from(("auto", "python", *NAMES, "missing")),
                              max_size=2),
    prefer_native=st.booleans(),
    allow_fallback=st.booleans(),
    cache=st.booleans(),
)
def test_selection_table(backends, module_type, explicit, overrides, prefer_native, allow_fallback, cache):
    reset_world()
    for name, native, priority, types in backends:
        # plugin names differ from the entry points that conftest disables (native, dspy, example)
        registry._extra_plugins[f"in-process-{name}"] = BackendPlugin(name, types, native=native, priority=priority)
    registry.refresh()
    expected = oracle(backends, module_type, explicit, overrides, prefer_native, allow_fallback)
    with dspex.context(implementation_overrides=overrides, prefer_native=prefer_native,
                       allow_fallback=allow_fallback, implementation_cache=cache):
        for _ in range(2):  # the second round is served from the cache when it is on
            if isinstance(expected, type):
                with pytest.raises(expected) as info:
                    _router.select(module_type, explicit, dspex.settings())
                assert module_type in str(info.value)
                with pytest.raises(expected):
                    dspex.create(module_type, "q -> a", implementation=explicit)
                continue
            decision, fallback = _router.select(module_type, explicit, dspex.settings())
            assert ([r.backend for r in decision], fallback) == expected
            assert all(r.module_type == module_type for r in decision)
            ref = dspex.create(module_type, "q -> a", implementation=explicit)
            assert ref.backend == expected[0][0]
            assert ref.module_type == module_type
            assert [r.backend for r in ref._fallbacks] == (expected[0][1:] if expected[1] else [])
            assert ref(q="hi").backend == expected[0][0]


def test_has_native_and_list_by_implementation():
    registry._extra_plugins["n"] = BackendPlugin("n", ["predict"], native=True)
    registry._extra_plugins["d"] = BackendPlugin("d", ["predict", "react"])
    registry.refresh()
    assert registry.has_native("predict")
    assert not registry.has_native("react")
    assert not registry.has_native("nothing")
    assert registry.list_by_implementation() == {"n": ["predict"], "d": ["predict", "react"]}
    assert registry.module_types() == ["predict", "react"]
    assert set(registry.installed_backends()) == {"n", "d"}
    assert "predict" in registry.known_module_types() and "mipro_v2" in registry.known_module_types()
