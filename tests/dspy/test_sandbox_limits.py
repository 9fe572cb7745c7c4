"""The dspy backend's sandbox (DSPy's interpreter, dspex_dspy.sandbox) held to the limits both
backends share (dspex_core.backend.sandbox_limits): the memory flags on Deno's command line, code
killed at the time limit, a MemoryError naming the limit, JavaScript filling the heap.

(tests/reliability/test_sandbox_limits.py runs whole program_of_thought calls on both backends,
and checks the runner file cannot be swapped.)
"""

from __future__ import annotations

import threading

import pytest

from dspex_core import SandboxLimitError
from dspex_core.backend import sandbox_limits

sandbox = pytest.importorskip("dspex_dspy.sandbox")
from dspy.primitives.code_interpreter import CodeExecutionError, CodeInterpreterError  # noqa: E402


@pytest.fixture(scope="module")
def started():
    try:
        sandbox.check_sandbox()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"the dspy sandbox cannot start here: {exc}")


def test_the_memory_flags_are_deno_run_flags_before_the_runner():
    command = sandbox.SandboxedInterpreter(limits=sandbox_limits.Limits(5.0, 128)).deno_command
    flag = "--v8-flags=--wasm-max-mem-pages=2048,--max-old-space-size=128"
    assert command[:2][1] == "run" and command.index(flag) < command.index(sandbox.runner_path())
    assert flag.replace("128", "512").replace("2048", "8192") in sandbox.SandboxedInterpreter().deno_command
    unlimited = sandbox.SandboxedInterpreter(limits=sandbox_limits.Limits(None, None)).deno_command
    assert not any(part.startswith("--v8-flags") for part in unlimited)


def test_code_past_the_time_limit_is_killed_and_the_session_ends(started):
    interpreter = sandbox.SandboxedInterpreter(limits=sandbox_limits.Limits(1.0, 512))
    try:
        assert interpreter.execute("6 * 7") == 42
        process = interpreter.deno_process
        with pytest.raises(SandboxLimitError, match=r"sandbox_timeout=1 s") as info:
            interpreter.execute("while True:\n    pass")
        assert info.value.limit == "sandbox_timeout" and process.poll() is not None
        with pytest.raises(CodeInterpreterError, match="session has ended"):
            interpreter.execute("1")
    finally:
        interpreter.shutdown()
    assert not [t for t in threading.enumerate() if t.name == "dspex-sandbox-watchdog"]


def test_python_past_the_memory_limit_gets_a_memory_error_naming_it_and_js_past_it_ends_the_session(started):
    interpreter = sandbox.SandboxedInterpreter(limits=sandbox_limits.Limits(60.0, 64))
    try:
        with pytest.raises(CodeExecutionError, match=r"^MemoryError: the sandbox's memory limit "
                                                     r"\(sandbox_memory_mb=64\) was reached$"):
            interpreter.execute("x = bytearray(128 * 1024 * 1024)")
        assert interpreter.execute("1 + 1") == 2  # the session goes on
        with pytest.raises(SandboxLimitError, match=r"sandbox_memory_mb=64") as info:
            interpreter.execute("import js\njs.eval('let a = []; while (true) a.push(new Array(100000).fill(1.5))')")
        assert info.value.limit == "sandbox_memory_mb"
    finally:
        interpreter.shutdown()
