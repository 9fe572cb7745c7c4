"""The limits of the sandbox running LM-written code, one rule for every backend
(dspex_core.backend.sandbox_limits): the options and their checks, Deno's memory flags, the
watchdog that kills code past its time, and the errors naming the limit."""

from __future__ import annotations

import threading
import time

import pytest

from dspex_core import InputError, SandboxLimitError
from dspex_core.backend import sandbox_limits
from dspex_core.errors import allows_fallback


def test_the_defaults():
    limits = sandbox_limits.check({})
    assert (limits.timeout, limits.memory_mb) == (30.0, 512) == tuple(sandbox_limits.DEFAULTS.values())
    unlimited = sandbox_limits.check({"sandbox_timeout": None, "sandbox_memory_mb": None})
    assert unlimited == sandbox_limits.Limits(None, None)


@pytest.mark.parametrize("options, words", [
    ({"sandbox_timeout": 0}, "sandbox_timeout must be a positive number of seconds or None"),
    ({"sandbox_timeout": True}, "sandbox_timeout must be"),
    ({"sandbox_timeout": float("inf")}, "sandbox_timeout must be"),
    ({"sandbox_memory_mb": 63}, "sandbox_memory_mb must be a whole number of megabytes >= 64 or None"),
    ({"sandbox_memory_mb": 100.0}, "sandbox_memory_mb must be"),
    ({"sandbox_memory_mb": False}, "sandbox_memory_mb must be"),
])
def test_bad_limits_are_input_errors_naming_the_module_type_and_option(options, words):
    with pytest.raises(InputError, match=words) as info:
        sandbox_limits.check(options, "program_of_thought")
    assert str(info.value).startswith("program_of_thought: ")


def test_the_memory_limit_caps_webassembly_pages_and_the_javascript_heap():
    assert sandbox_limits.deno_flags(sandbox_limits.Limits(30, 256)) == [
        "--v8-flags=--wasm-max-mem-pages=4096,--max-old-space-size=256"]
    assert sandbox_limits.deno_flags(sandbox_limits.Limits(30, None)) == []


def test_the_watchdog_kills_after_its_time_and_leaves_no_thread():
    killed = []
    watchdog = sandbox_limits.Watchdog(0.05, lambda: killed.append(True))
    time.sleep(0.3)
    watchdog.stop()
    assert watchdog.fired and killed == [True]
    calm = sandbox_limits.Watchdog(30, lambda: killed.append(False))
    calm.stop()
    assert not calm.fired and killed == [True]
    assert not [t for t in threading.enumerate() if t.name == "dspex-sandbox-watchdog"]
    assert sandbox_limits.Watchdog(None, lambda: None)._timer is None


def test_the_errors_name_the_limit_and_are_no_reason_to_try_another_backend():
    limits = sandbox_limits.Limits(2.5, 128)
    timeout, memory = sandbox_limits.timeout_error(limits), sandbox_limits.memory_error(limits)
    assert isinstance(timeout, SandboxLimitError) and isinstance(timeout, RuntimeError)
    assert (timeout.limit, timeout.value) == ("sandbox_timeout", 2.5)
    assert (memory.limit, memory.value) == ("sandbox_memory_mb", 128)
    assert "sandbox_timeout=2.5 s" in str(timeout) and "sandbox_memory_mb=128" in str(memory)
    assert not allows_fallback(timeout)
    assert sandbox_limits.memory_error_text(limits) == \
        "MemoryError: the sandbox's memory limit (sandbox_memory_mb=128) was reached"
    assert sandbox_limits.is_bare_memory_error("MemoryError", [], "") and not sandbox_limits.is_bare_memory_error(
        "MemoryError", ["mine"], "mine")
    assert sandbox_limits.out_of_memory("Fatal JavaScript out of memory: Reached heap limit")
