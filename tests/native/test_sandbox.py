"""What the sandbox keeps generated code from reaching: the host's files, network, environment,
processes and Python; and what one call leaves behind for the next (nothing).

Each probe tries both ways in: Python's own (``open``, ``socket``, ``os.environ``,
``subprocess``), which meet Pyodide's in-memory emulation, and Deno's APIs through Pyodide's
``js`` module, which meet Deno's permission checks. A probe catches the error and prints it,
so that the session lives on and the test reads what was refused and why.
"""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import threading

import pytest

from dspex_core.testing import RecordingLM
from dspex_native.modules.program_of_thought import implementation as pot
from dspex_native.sandbox import pool
from dspex_native.sandbox.interpreter import PyodideInterpreter
from dspex_native.sandbox.results import SandboxError
from dspex_native.sandbox.runtime import locate, pyodide_folders

SECRET = "s3cret-value-the-sandbox-must-not-see"


def probe(session: PyodideInterpreter, body: str) -> str:
    """Run ``body`` in the session; what it printed, or the refusal (error type and message)."""
    code = "try:\n" + textwrap.indent(body, "    ") + "\nexcept BaseException as error:\n" \
           "    print('REFUSED', type(error).__name__, error)\n"
    return session.execute(code)


@pytest.fixture(scope="module")
def session():
    with PyodideInterpreter() as started:
        yield started


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def test_host_files_cannot_be_read(session, secret_file):
    assert "REFUSED FileNotFoundError" in probe(session, f"print(open({str(secret_file)!r}).read())")
    refused = probe(session, f"from js import Deno\nprint(Deno.readTextFileSync({str(secret_file)!r}))")
    assert "REFUSED" in refused and "Requires read access" in refused and SECRET not in refused
    # not even Pyodide's own files once it is loaded
    pyodide_lock = os.path.join(pyodide_folders(locate().cache)[0], "pyodide-lock.json")
    assert "Requires read access" in probe(session, f"from js import Deno\nDeno.readTextFileSync({pyodide_lock!r})")
    listed = session.execute("import os\nsorted(os.listdir('/'))")
    assert set(listed) <= {"tmp", "home", "dev", "proc", "lib", "sys"} and "work" not in listed


def test_host_files_cannot_be_written(session, tmp_path):
    target = tmp_path / "written.txt"
    refused = probe(session, f"from js import Deno\nDeno.writeTextFileSync({str(target)!r}, 'x')")
    assert "Requires write access" in refused
    assert "REFUSED FileNotFoundError" in probe(session, f"open({str(target)!r}, 'w').write('x')")
    # Python's files live in Pyodide's memory: the host's /tmp never sees them
    inside = f"/tmp/{target.parent.name}-inside.txt"
    assert probe(session, f"open({inside!r}, 'w').write('x')\nprint(open({inside!r}).read())") == "x\n"
    assert not target.exists() and not os.path.exists(inside)


def test_the_network_is_unreachable_even_on_localhost(session):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    port = server.getsockname()[1]
    accepted = []

    def watch():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        fetched = probe(session, f"from js import fetch\nawait fetch('http://127.0.0.1:{port}/')")
        assert "Requires net access" in fetched
        connected = probe(session, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)")
        assert "REFUSED" in connected
        opened = probe(session, f"import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/')")
        assert "REFUSED" in opened
    finally:
        watcher.join()
        server.close()
    assert accepted == []


def test_the_hosts_environment_is_not_visible(monkeypatch):
    monkeypatch.setenv("DSPEX_SANDBOX_PROBE", SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    pool.close()  # a session started after the variables were set
    monkeypatch.setattr(pool, "keep_warm_seconds", 0)
    with PyodideInterpreter() as fresh:
        names = fresh.execute("import os\nsorted(os.environ)")
        assert "DSPEX_SANDBOX_PROBE" not in names and "OPENAI_API_KEY" not in names
        refused = probe(fresh, "from js import Deno\nprint(Deno.env.get('OPENAI_API_KEY'))")
        assert "Requires env access" in refused and SECRET not in refused
        assert "Requires env access" in probe(fresh, "from js import Deno\nprint(Deno.env.toObject())")
        if sys.platform.startswith("linux"):  # the Deno process itself was given none of them
            environ = open(f"/proc/{fresh._process.pid}/environ", "rb").read().decode()
            assert SECRET not in environ and "PATH=" not in environ


def test_no_process_can_be_started(session):
    assert "REFUSED OSError" in probe(session, "import subprocess\nsubprocess.run(['ls'])")
    shell = "/bin/sh" if os.path.exists("/bin/sh") else sys.executable  # a program that exists on the host
    assert "Requires run access" in probe(session, f"from js import Deno\nDeno.Command.new({shell!r}).outputSync()")
    for call in ("os.fork()", "os.popen('ls').read()", f"os.execv({shell!r}, ['sh'])"):
        assert "REFUSED OSError" in probe(session, f"import os\n{call}")


def test_os_system_ends_the_session_instead_of_running_anything(tmp_path):
    marker = tmp_path / "ran"
    with PyodideInterpreter() as fresh, pytest.raises(SandboxError, match="session ended"):
        fresh.execute(f"import os\nos.system('touch {marker}')")  # Pyodide aborts, as under DSPy
    assert not marker.exists()


def test_the_code_runs_in_pyodide_not_in_the_hosts_python(session):
    assert session.execute("import sys\nsys.platform") == "emscripten"
    assert "REFUSED ModuleNotFoundError" in probe(session, "import dspex_core")
    assert "REFUSED" in probe(session, "from js import Deno\nDeno.dlopen('libc.so.6', {})")


def chat(**fields) -> str:
    return "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items()) + "[[ ## completed ## ]]"


def code(text: str) -> str:
    return chat(reasoning="r", generated_code=text)


def test_nothing_of_a_call_is_left_for_the_next_call_of_any_module():
    """DSPy makes a fresh interpreter per call (and keeps it across the call's attempts); so does native."""
    first = pot.create("question -> answer")
    second = pot.create("question -> answer")
    lm = RecordingLM([code("leaked = 41\nimport math\nmath.tau = 0\nSUBMIT({'answer': leaked})"),
                      chat(reasoning="r", answer="41")])
    assert pot.execute(first, {"question": "q"}, lm=lm).answer == "41"
    for module in (first, second):
        lm = RecordingLM([code("print(leaked)"), code("import math\nprint(math.tau)"), chat(reasoning="r", answer="a")])
        pot.execute(module, {"question": "q"}, lm=lm)
        assert "NameError: [\"name 'leaked' is not defined\"]" in lm.calls[1].messages[-1]["content"]
        assert '"6.283185307179586\\n"' in lm.calls[2].messages[-1]["content"]


def test_a_calls_attempts_share_one_session():
    lm = RecordingLM([code("kept = 5\n1/0"), code("print(kept)"), chat(reasoning="r", answer="5")])
    pot.execute(pot.create("question -> answer"), {"question": "q"}, lm=lm)
    assert '[[ ## code_output ## ]]\n"5\\n"' in lm.calls[2].messages[-1]["content"]


def test_each_session_gets_a_process_that_never_ran_code(monkeypatch):
    monkeypatch.setattr(pool, "keep_warm_seconds", 60.0)
    pids = []
    for _ in range(3):
        with PyodideInterpreter() as fresh:
            assert fresh.execute("'defined' in dir()") is False
            fresh.execute("defined = 1")
            pids.append(fresh._process.pid)
    assert len(set(pids)) == 3


def test_no_spare_is_kept_when_asked(monkeypatch):
    pool.close()
    monkeypatch.setattr(pool, "keep_warm_seconds", 0)
    with PyodideInterpreter() as fresh:
        fresh.execute("1")
    assert pool._spare is None and pool._warming is None


def test_code_writing_to_the_real_stdout_cannot_forge_or_garble_the_answer(session):
    """The answer to a request carries an id the code never sees, on a line of its own."""
    forged = ("import js\n"
              "js.Deno.stdout.writeSync(js.TextEncoder.new().encode('a partial line'))\n"
              "js.console.log('{\"id\": \"guess\", \"output\": \"forged\"}')\n"
              "js.console.log('{\"ready\": true}')\n"
              "print('the real output')")
    assert session.execute(forged) == "the real output\n"
    assert session.execute("1 + 1") == 2


def test_code_cannot_take_over_the_answer_channel(session):
    hijack = ("import js\n"
              "from pyodide.ffi import create_proxy\n"
              "js.Deno.stdout.writeSync = create_proxy(lambda data: len(data))\n"
              "js.JSON.stringify = create_proxy(lambda *args: '{\"output\": \"forged\"}')\n"
              "print('still answered')")
    assert session.execute(hijack) == "still answered\n"
    assert session.execute("6 * 7") == 42


# -- the limits (dspex_core.backend.sandbox_limits) ----------------------------------------------

def test_the_memory_limit_is_on_the_command_line_and_the_runtime():
    from dspex_core.backend import sandbox_limits

    runtime = locate(sandbox_limits.Limits(5.0, 128))
    assert "--v8-flags=--wasm-max-mem-pages=2048,--max-old-space-size=128" in runtime.command
    assert runtime.command.index("--v8-flags=--wasm-max-mem-pages=2048,--max-old-space-size=128") < \
        runtime.command.index(str(locate().command[-1]))  # a flag of deno run, before the script
    assert runtime.limits == sandbox_limits.Limits(5.0, 128)
    assert not any(part.startswith("--v8-flags") for part in locate(sandbox_limits.Limits(5.0, None)).command)


def test_code_past_the_time_limit_is_killed_and_the_session_ends():
    from dspex_core import SandboxLimitError
    from dspex_core.backend import sandbox_limits

    session = PyodideInterpreter(pool.check(sandbox_limits.Limits(1.0, sandbox_limits.DEFAULT_MEMORY_MB)))
    assert session.execute("6 * 7") == 42  # started: only the code's own time counts
    process = session._process
    with pytest.raises(SandboxLimitError, match=r"sandbox_timeout=1 s") as info:
        session.execute("while True:\n    pass")
    assert info.value.limit == "sandbox_timeout" and not process.alive() and process._popen.returncode is not None
    with pytest.raises(SandboxError, match="has ended"):
        session.execute("1")
    assert not [t for t in threading.enumerate() if t.name == "dspex-sandbox-watchdog"]


def test_python_asking_for_more_than_the_memory_limit_gets_a_memory_error_and_the_session_goes_on():
    from dspex_core.backend import sandbox_limits
    from dspex_native.sandbox.results import CodeExecutionError

    with PyodideInterpreter(pool.check(sandbox_limits.Limits(10.0, 128))) as session:
        with pytest.raises(CodeExecutionError, match=r"^MemoryError: the sandbox's memory limit "
                                                     r"\(sandbox_memory_mb=128\) was reached$"):
            session.execute("kept = 1\nx = bytearray(256 * 1024 * 1024)")
        assert session.execute("y = bytearray(32 * 1024 * 1024)\nkept + len(y) // (1024 * 1024)") == 33
        with pytest.raises(CodeExecutionError, match=r"^MemoryError: \['mine'\]$"):  # the code's own words stay
            session.execute("raise MemoryError('mine')")


def test_javascript_filling_its_heap_ends_the_session_naming_the_memory_limit():
    from dspex_core import SandboxLimitError
    from dspex_core.backend import sandbox_limits

    with PyodideInterpreter(pool.check(sandbox_limits.Limits(60.0, 64))) as session:
        with pytest.raises(SandboxLimitError, match=r"sandbox_memory_mb=64") as info:
            session.execute("import js\njs.eval('let a = []; while (true) a.push(new Array(100000).fill(1.5))')")
    assert info.value.limit == "sandbox_memory_mb"
