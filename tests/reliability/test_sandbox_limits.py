"""The sandbox that runs LM-written code (``program_of_thought``) holds it to its limits, and its
runner cannot be swapped by another local user.

* An LM that writes ``while True: pass`` gets the call stopped at ``sandbox_timeout``: a
  ``SandboxLimitError`` naming the limit, the Deno process killed and reaped (no orphan, no
  zombie), and the next call works.
* An LM that writes a memory bomb gets a ``MemoryError`` naming ``sandbox_memory_mb`` (the
  next attempt is told so and recovers). (JavaScript filling the heap, which ends the process, is
  probed per backend: tests/native/test_sandbox.py, tests/dspy/test_sandbox_limits.py.)
* The dspy backend's runner copy (Deno re-reads it at every start) lives in a folder private to
  the process: a forged runner planted at the old predictable path under the temp folder is
  not used, and a folder that stops being private is avoided.

Every call runs in a worker thread joined with a bound, so a sandbox that does not stop fails
the probe instead of hanging the suite. Sandboxes are skipped, with the install command, where
Deno or Pyodide is missing.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
import time
from pathlib import Path

import pytest

import dspex_core as dspex
from dspex_core import SandboxLimitError
from dspex_core.testing import RecordingLM

BACKENDS = ("native", "dspy")
QA = "question -> answer"
LOOP = "while True:\n    pass"
BOMB = "x = bytearray(1024 * 1024 * 1024)\nlen(x)"


def chat(**fields) -> str:
    return "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items()) + "[[ ## completed ## ]]"


def writer(first: str):
    """An LM that writes ``first``, then ``6 * 7`` when told of an error, then answers with the output."""
    def reply(messages, settings):
        text = messages[-1]["content"]
        if "[[ ## code_output ## ]]" in text:
            return chat(reasoning="read it", answer=text.split("[[ ## code_output ## ]]")[1].split("\n\n")[0].strip())
        if "[[ ## error ## ]]" in text:
            return chat(reasoning="smaller", generated_code="```python\n6 * 7\n```")
        return chat(reasoning="compute", generated_code=f"```python\n{first}\n```")
    return RecordingLM(reply)


def run(fn, limit: float):
    """``(result or exception, seconds)`` of ``fn()`` in a worker thread joined after ``limit``."""
    outcome: dict = {}

    def work():
        start = time.monotonic()
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["value"] = exc
        outcome["seconds"] = time.monotonic() - start

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"still running after {limit} s: the sandbox was not stopped"
    return outcome["value"], outcome["seconds"]


@pytest.fixture
def deno_pids(monkeypatch, backend):
    """The pids of the Deno processes the backend's sessions run code in."""
    pids: list[int] = []
    if backend == "native":
        from dspex_native.sandbox import interpreter

        take = interpreter.pool.take

        def recording_take(runtime):
            process = take(runtime)
            pids.append(process.pid)
            return process

        monkeypatch.setattr(interpreter.pool, "take", recording_take)
    else:
        from dspex_dspy.sandbox import SandboxedInterpreter

        spawn = SandboxedInterpreter._spawn_process

        def recording_spawn(self):
            spawn(self)
            pids.append(self.deno_process.pid)

        monkeypatch.setattr(SandboxedInterpreter, "_spawn_process", recording_spawn)
    return pids


def gone(pid: int) -> bool:
    """Whether ``pid`` is no process at all any more (a zombie, killed but not reaped, still is one)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def program(backend, lm, **options):
    try:
        return dspex.ProgramOfThought.create(QA, implementation=backend, lm=lm, **options)
    except dspex.CapabilityError as exc:
        pytest.skip(f"the {backend} sandbox cannot start here: {exc}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_endless_loop_is_stopped_at_the_time_limit_and_the_next_call_works(backend, deno_pids):
    looping = program(backend, writer(LOOP), sandbox_timeout=2)
    error, seconds = run(lambda: looping(question="Count for ever"), 120)
    assert isinstance(error, SandboxLimitError), error
    assert error.limit == "sandbox_timeout" and error.value == 2 and "sandbox_timeout=2 s" in str(error)
    assert seconds >= 2
    assert deno_pids and all(gone(pid) for pid in deno_pids), "the killed Deno process was left behind"

    # the next call starts a fresh sandbox; its code asks for 1 GB, over the default limit (512 MB):
    # Python's MemoryError names the limit, the LM is told so, and its next code runs
    lm = writer(BOMB)
    bombing = program(backend, lm)
    prediction, _ = run(lambda: bombing(question="Fill the memory"), 120)
    assert not isinstance(prediction, BaseException), prediction
    assert prediction.answer == "42"
    retold = [call.messages[-1]["content"] for call in lm.calls if "[[ ## error ## ]]" in call.messages[-1]["content"]]
    assert len(retold) == 1
    assert "MemoryError: the sandbox's memory limit (sandbox_memory_mb=512) was reached" in retold[0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("options, words", [
    ({"sandbox_timeout": 0}, "sandbox_timeout must be a positive number"),
    ({"sandbox_timeout": "30"}, "sandbox_timeout must be a positive number"),
    ({"sandbox_memory_mb": 8}, "sandbox_memory_mb must be a whole number of megabytes >= 64"),
    ({"sandbox_memory_mb": 512.5}, "sandbox_memory_mb must be a whole number"),
    ({"sandbox_timeout": 5, "interpreter": lambda: None}, "interpreter factory of your own"),
])
def test_bad_limits_are_input_errors_before_anything_runs(backend, options, words):
    with pytest.raises(dspex.InputError, match=words):
        dspex.ProgramOfThought.create(QA, implementation=backend, lm=RecordingLM([]), **options)


# -- the dspy backend's runner file ---------------------------------------------------------------

@pytest.fixture
def sandbox_module(monkeypatch, tmp_path):
    """``dspex_dspy.sandbox`` with the temp folder in ``tmp_path`` and no runner made yet."""
    sandbox = pytest.importorskip("dspex_dspy.sandbox")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("DSPEX_CACHE_DIR", raising=False)
    if hasattr(sandbox.runner_path, "cache_clear"):  # a runner path made once per process
        sandbox.runner_path.cache_clear()
    monkeypatch.setattr(sandbox, "_runner", None, raising=False)
    yield sandbox
    if hasattr(sandbox.runner_path, "cache_clear"):
        sandbox.runner_path.cache_clear()


def _runner_text(sandbox) -> str:
    return sandbox._runner_text() if hasattr(sandbox, "_runner_text") else Path(sandbox.runner_path()).read_text()


def test_a_forged_runner_at_the_old_predictable_path_is_not_used(sandbox_module, tmp_path):
    sandbox = sandbox_module
    digest = hashlib.sha256(_runner_text(sandbox).encode()).hexdigest()[:16]
    if hasattr(sandbox.runner_path, "cache_clear"):
        sandbox.runner_path.cache_clear()
    planted = tmp_path / f"dspex-{os.getuid()}"
    planted.mkdir(exist_ok=True)
    planted.chmod(0o777)  # another local user's folder, open to them
    forged = planted / f"dspy-runner-{digest}.js"
    forgery = "Deno.exit(42);\n"
    forged.write_text(forgery)

    path = Path(sandbox.runner_path())
    forged.write_text(forgery)  # the other user swaps it again after dspex looked at it
    assert path != forged and planted not in path.parents
    folder = path.parent.lstat()
    assert stat.S_IMODE(folder.st_mode) == 0o700 and folder.st_uid == os.getuid()
    assert stat.S_IMODE(path.lstat().st_mode) & 0o022 == 0
    interpreter = sandbox.SandboxedInterpreter()
    assert str(path.resolve()) in interpreter.deno_command and str(forged) not in " ".join(interpreter.deno_command)
    try:
        answer = interpreter.execute("6 * 7")
    except Exception as exc:
        if "Deno exited (code 42)" in str(exc):
            raise AssertionError("the sandbox ran the forged runner") from exc
        pytest.skip(f"the dspy sandbox cannot start here: {exc}")
    finally:
        interpreter.shutdown()
    assert answer == 42


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_a_runner_folder_that_stops_being_private_is_avoided(sandbox_module):
    sandbox = sandbox_module
    first = Path(sandbox.runner_path())
    first.parent.chmod(0o777)
    second = Path(sandbox.runner_path())
    assert second.parent != first.parent and stat.S_IMODE(second.parent.lstat().st_mode) == 0o700
    assert not first.parent.exists()  # the folder that was opened up is gone, with what it held
    if os.geteuid() == 0:  # only root can give a folder away: one owned by another user is avoided too
        os.chown(second.parent, 65534, 65534)
        third = Path(sandbox.runner_path())
        assert third.parent not in (first.parent, second.parent) and third.parent.lstat().st_uid == os.getuid()
