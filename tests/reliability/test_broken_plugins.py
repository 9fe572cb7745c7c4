"""Broken plugins of each kind, as real distributions with entry points (``throwaway_plugins``).

Each kind must be contained: reported where plugins are reported (a warning, a row with its
error in ``registry.backends()`` and ``dspex backends``) or raised as a dspex error naming the
backend, and never end a program, hand a raw value to the caller or change a score.

* an import that raises, one that calls ``sys.exit()``, one that raises ``KeyboardInterrupt``
  (a broken plugin) and a Ctrl-C pressed while plugins load (never swallowed);
* a registration hook that raises or calls ``sys.exit()``;
* an ``execute``/``aexecute`` that returns something other than a ``Prediction``;
* an executor that drops a result or never runs an item (native ``evaluate`` and ``parallel``);
* a telemetry handler that raises (the warning names the handler and its plugin).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
from throwaway_plugins import on_path, subprocess_env, write_plugin

import dspex_core as dspex
from dspex_core import registry, telemetry
from dspex_core.errors import BackendNotInstalledError, PluginError

DSPEX = str(Path(sys.executable).parent / "dspex")


def _backends() -> dict:
    return {b.name: b for b in registry.backends()}


def _refresh_warnings() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry.refresh()
    return [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def _still_works() -> None:
    """The installed backends serve as usual beside a broken plugin."""
    ref = dspex.Predict.create("question -> answer", implementation="native")
    assert isinstance(ref(question="q", lm=dspex.OfflineLM()), dspex.Prediction)


# -- import ---------------------------------------------------------------------------------------
IMPORT_FAILURES = {
    "raises": ("raise RuntimeError('dspex-rel fails on import')\n",
               "failed to import: RuntimeError: dspex-rel fails on import (at plugin.py:1)"),
    "exits": ("import sys\nsys.exit(3)\n",
              "failed to import: SystemExit: the plugin called sys.exit(3) (at plugin.py:2)"),
    "exits_quietly": ("import sys\nsys.exit()\n", "failed to import: SystemExit: the plugin called sys.exit(None)"),
    "interrupts": ("raise KeyboardInterrupt\n", "failed to import: KeyboardInterrupt raised by the plugin's code"),
}


@pytest.mark.parametrize("kind", sorted(IMPORT_FAILURES))
def test_a_plugin_whose_import_fails_is_reported_and_the_rest_works(tmp_path, kind):
    source, error = IMPORT_FAILURES[kind]
    write_plugin(tmp_path, f"import_{kind}", source)
    with on_path(tmp_path):
        messages = _refresh_warnings()
        row = _backends()[f"import_{kind}"]
        assert row.error.startswith(error), row.error
        assert (row.distribution, row.version, row.module_types) == (f"dspex-rel-import-{kind.replace('_', '-')}",
                                                                     "0.1.0", [])
        assert any(f"'import_{kind}'" in m and "failed to import" in m for m in messages), messages
        with pytest.raises(BackendNotInstalledError, match="failed to load"):
            dspex.Predict.create("q -> a", implementation=f"import_{kind}")
        _still_works()


def test_dspex_backends_lists_a_plugin_that_calls_sys_exit_and_demo_still_runs(tmp_path):
    """The reported symptom: a plugin whose import calls sys.exit() ended every dspex program,
    with no message and the plugin's exit code."""
    write_plugin(tmp_path, "import_exits", "import sys\nsys.exit(3)\n")
    env = subprocess_env(tmp_path)
    listed = subprocess.run([DSPEX, "backends"], capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    (row,) = [line for line in listed.stdout.splitlines() if line.startswith("import_exits ")]
    assert "failed to import: SystemExit: the plugin called sys.exit(3)" in row
    script = ("import dspex_core as dspex\n"
              "p = dspex.Predict.create('q -> a', implementation='native')(q='x', lm=dspex.OfflineLM())\n"
              "print('served', type(p).__name__)\n")
    ran = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True, env=env,
                         timeout=120)
    assert (ran.returncode, ran.stdout) == (0, "served Prediction\n"), ran.stderr


def test_a_ctrl_c_pressed_while_plugins_load_is_not_swallowed(tmp_path):
    """The plugin's import simulates the user's Ctrl-C (SIGINT, through the signal handler): the
    KeyboardInterrupt reaches the caller, and the SIGINT handler is as it was."""
    write_plugin(tmp_path, "pressed", """
        import _thread, time
        _thread.interrupt_main()  # SIGINT arrives: Python's handler raises in the main thread
        for _ in range(500):
            time.sleep(0.01)
        raise RuntimeError("the interrupt never arrived")
    """)
    before = signal.getsignal(signal.SIGINT)
    with on_path(tmp_path):
        with pytest.raises(KeyboardInterrupt):
            registry.refresh()
        assert signal.getsignal(signal.SIGINT) is before


def test_a_plugin_that_raises_keyboard_interrupt_in_a_worker_thread_is_a_broken_plugin(tmp_path):
    """No signal is ever handled outside the main thread: a KeyboardInterrupt there is the plugin's."""
    write_plugin(tmp_path, "interrupts_thread", "raise KeyboardInterrupt('from code')\n")
    seen: list[BaseException | str] = []

    def build() -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                registry.refresh()
            seen.append(_backends()["interrupts_thread"].error)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            seen.append(exc)

    with on_path(tmp_path):
        worker = threading.Thread(target=build)
        worker.start()
        worker.join(60)
    assert len(seen) == 1 and isinstance(seen[0], str), seen
    assert seen[0].startswith("failed to import: KeyboardInterrupt raised by the plugin's code: from code")


# -- registration hooks ---------------------------------------------------------------------------
HOOK = """
from dspex_core.backend import Implementation, Prediction, hookimpl


class Echo(Implementation):
    def create(self, spec, **options):
        return spec

    def execute(self, state, inputs, **options):
        return Prediction(a="echo")


@hookimpl
def dspex_register_implementations(register):
    register("predict", Echo(), backend="{backend}")
    {then}
"""


@pytest.mark.parametrize("then,error", [
    ("raise ValueError('dspex-rel hook fails')",
     "dspex_register_implementations raised ValueError: dspex-rel hook fails"),
    ("import sys; sys.exit(4)", "dspex_register_implementations raised SystemExit: the plugin called sys.exit(4)"),
    ("raise KeyboardInterrupt", "dspex_register_implementations raised KeyboardInterrupt raised by the plugin's code"),
], ids=["raises", "exits", "interrupts"])
def test_a_registration_hook_that_fails_is_rolled_back_and_reported(tmp_path, then, error):
    write_plugin(tmp_path, "hook", HOOK.format(backend="hooked", then=then))
    with on_path(tmp_path):
        messages = _refresh_warnings()
        row = _backends()["hooked"]
        assert row.plugin == "hook" and row.module_types == [] and row.error.startswith(error), row.error
        assert registry.lookup("hooked", "predict") is None
        assert any("'hook'" in m and error in m for m in messages), messages
        _still_works()


# -- results that are not a Prediction ------------------------------------------------------------
RAW = """
from dspex_core.backend import Implementation, hookimpl


class Raw(Implementation):
    def create(self, spec, **options):
        return spec

    def execute(self, state, inputs, **options):
        return {"answer": "a plain dict"}

    async def aexecute(self, state, inputs, **options):
        return "a plain string"


@hookimpl
def dspex_register_implementations(register):
    register("predict", Raw(), backend="raw", native=True, priority=1000)
"""


@pytest.fixture
def raw_plugin(tmp_path):
    write_plugin(tmp_path, "raw", RAW)
    with on_path(tmp_path):
        registry.refresh()
        yield tmp_path


def test_an_execute_that_returns_a_dict_is_a_plugin_error_naming_the_backend(raw_plugin):
    ref = dspex.Predict.create("question -> answer", implementation="raw")
    with pytest.raises(PluginError, match=r"backend 'raw' returned builtins\.dict from execute\(\) of 'predict', "
                                          r"not a dspex Prediction"):
        ref(question="q")
    with dspex.context(telemetry_enabled=True):  # the path that times the call and emits events
        events = []
        telemetry.attach(telemetry.EXECUTE, lambda e, m, md: events.append(md["status"]))
        with pytest.raises(PluginError, match="'raw'"):
            dspex.execute(ref, {"question": "q"})
        assert events == ["PluginError"]
    with pytest.raises(PluginError, match=r"backend 'raw' returned builtins\.str from aexecute\(\) of 'predict'"):
        asyncio.run(ref.acall(question="q"))


def test_a_result_that_is_not_a_prediction_falls_back_to_the_next_backend(raw_plugin):
    """'raw' is native with the top priority, so auto routing picks it; its failure is its own,
    so with allow_fallback the next candidate (native) serves the call, and a fallback event says so."""
    fallbacks = []
    telemetry.attach(telemetry.FALLBACK, lambda e, m, md: fallbacks.append((md["from_implementation"],
                                                                            md["to_implementation"], md["error"])))
    with dspex.context(lm=dspex.OfflineLM(), allow_fallback=True):
        ref = dspex.Predict.create("question -> answer")
        assert ref.backend == "raw"
        prediction = ref(question="q")
    assert isinstance(prediction, dspex.Prediction) and "answer" in prediction
    assert [(f, t) for f, t, _ in fallbacks] == [("raw", "native")]
    assert fallbacks[0][2].startswith("PluginError: backend 'raw' returned builtins.dict")
    with dspex.context(lm=dspex.OfflineLM(), allow_fallback=False):
        with pytest.raises(PluginError, match="'raw'"):
            dspex.Predict.create("question -> answer")(question="q")


NOTHING = """
from dspex_core.backend import Implementation, hookimpl


class Nothing(Implementation):
    def create(self, spec, **options):
        return spec

    def execute(self, state, inputs, **options):
        return None


@hookimpl
def dspex_register_implementations(register):
    register("predict", Nothing(), backend="nothing")
    register("best_of_n", Nothing(), backend="nothing")
"""


def test_none_is_a_result_only_where_dspys_module_returns_it(tmp_path):
    """DSPy's BestOfN (and Refine) return None when every attempt failed; its Predict never does."""
    write_plugin(tmp_path, "nothing", NOTHING)
    with on_path(tmp_path):
        registry.refresh()
        with pytest.raises(PluginError, match=r"'nothing' returned builtins\.NoneType from execute\(\) of 'predict'"):
            dspex.Predict.create("q -> a", implementation="nothing")(q="x")
        inner = dspex.Predict.create("q -> a", implementation="native")
        loop = dspex.create("best_of_n", inner, N=1, reward_fn=lambda args, pred: 1.0, threshold=1.0,
                            implementation="nothing")
        assert loop(q="x") is None


def test_dspex_demo_reports_a_backend_that_returns_a_dict_in_one_line(raw_plugin):
    """Before: the demo crashed with a traceback (AttributeError on the dict)."""
    out = subprocess.run([DSPEX, "demo"], capture_output=True, text=True, env=subprocess_env(raw_plugin),
                         timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    (line,) = [line for line in out.stdout.splitlines() if "failed: " in line]
    assert "failed: PluginError: backend 'raw' returned builtins.dict from execute() of 'predict'" in line


# -- executors that lose results ------------------------------------------------------------------
EXECUTORS = """
from dspex_core.backend import hookimpl
from dspex_core.executors import ThreadExecutor


class Dropping(ThreadExecutor):
    '''Runs every item and returns one result too few.'''

    def map(self, fn, items, *, max_workers=8, on_result=None):
        return super().map(fn, items, max_workers=max_workers)[:-1]

    async def amap(self, fn, items, *, max_workers=8, on_result=None):
        return (await super().amap(fn, items, max_workers=max_workers))[:-1]


class Skipping(ThreadExecutor):
    '''Never runs the last item; returns a placeholder for it.'''

    def map(self, fn, items, *, max_workers=8, on_result=None):
        items = list(items)
        return super().map(fn, items[:-1], max_workers=max_workers) + [None]


@hookimpl
def dspex_register_executors(register):
    register("dropping", Dropping())
    register("skipping", Skipping())
"""


@pytest.fixture
def lossy_executors(tmp_path):
    write_plugin(tmp_path, "lossy", EXECUTORS)
    with on_path(tmp_path):
        registry.refresh()
        yield


def _devset() -> list:
    """Three examples; the program gets the last one wrong, so losing it scores a perfect 100."""
    return [dspex.Example(question=q, answer=a).with_inputs("question") for q, a in
            (("1", "1"), ("2", "2"), ("3", "wrong"))]


def _evaluate():
    return dspex.create("evaluate", devset=_devset(), metric=lambda example, pred: example.answer == pred.answer,
                        display_progress=False, implementation="native")


def _echo(question: str) -> dspex.Prediction:
    return dspex.Prediction(answer=question)


def test_native_evaluate_scores_every_example_with_the_threads_executor(lossy_executors):
    assert dspex.execute(_evaluate(), {"program": _echo}).score == 66.67


@pytest.mark.parametrize("executor,error", [
    ("dropping", "executor 'dropping' returned 2 results for 3 items"),
    ("skipping", r"executor 'skipping' gave no outcome for devset\[2\]"),
], ids=["dropping", "skipping"])
def test_native_evaluate_refuses_an_executor_that_loses_a_result(lossy_executors, executor, error):
    with dspex.context(executor=executor):
        with pytest.raises(PluginError, match=error):
            dspex.execute(_evaluate(), {"program": _echo})


def test_native_evaluate_async_refuses_an_executor_that_loses_a_result(lossy_executors):
    with dspex.context(executor="dropping"):
        with pytest.raises(PluginError, match="executor 'dropping' returned 2 results for 3 items"):
            asyncio.run(dspex.aexecute(_evaluate(), {"program": _echo}))


@pytest.mark.parametrize("threads", [1, 4])
def test_native_parallel_refuses_an_executor_that_never_runs_an_example(lossy_executors, threads):
    with dspex.context(lm=dspex.OfflineLM()):
        parallel = dspex.create("parallel", dspex.Predict.create("question -> answer", implementation="native"),
                                num_threads=threads, implementation="native")
        assert len(dspex.execute(parallel, {"examples": [{"question": str(i)} for i in range(3)]}).results) == 3
        with dspex.context(executor="skipping"):
            with pytest.raises(PluginError, match=r"executor 'skipping' never ran examples\[2\] \(1 of 3 examples\)"):
                dspex.execute(parallel, {"examples": [{"question": str(i)} for i in range(3)]})


# -- telemetry handlers ---------------------------------------------------------------------------
TELEMETRY = """
from dspex_core.backend import hookimpl


def broken_handler(event, measurements, metadata):
    raise RuntimeError("dspex-rel handler fails")


@hookimpl
def dspex_attach_telemetry(attach):
    attach(("dspex", "router", "route"), broken_handler)
"""


def test_a_telemetry_handler_that_raises_is_named_with_its_plugin_and_detached(tmp_path):
    write_plugin(tmp_path, "noisy", TELEMETRY)
    with on_path(tmp_path):
        registry.refresh()
        assert telemetry.has_handlers(telemetry.ROUTE)
        with pytest.warns(RuntimeWarning) as caught:
            ref = dspex.Predict.create("question -> answer", implementation="native")
        (message,) = [str(w.message) for w in caught if "telemetry handler" in str(w.message)]
        assert message == ("telemetry handler dspex_rel_noisy.plugin.broken_handler (attached by plugin 'noisy') "
                           "for dspex.router.route raised RuntimeError: dspex-rel handler fails; it was detached")
        assert not telemetry.has_handlers(telemetry.ROUTE)
        assert isinstance(ref(question="q", lm=dspex.OfflineLM()), dspex.Prediction)


def test_a_handler_attached_by_user_code_is_named_without_a_plugin():
    class Counter:
        def __call__(self, event, measurements, metadata):
            raise ValueError("counter fails")

    telemetry.attach(telemetry.ROUTE, Counter())
    with pytest.warns(RuntimeWarning) as caught:
        dspex.Predict.create("question -> answer", implementation="native")
    (message,) = [str(w.message) for w in caught if "telemetry handler" in str(w.message)]
    assert message.startswith(f"telemetry handler {__name__}.test_a_handler_attached_by_user_code_is_named_"
                              "without_a_plugin.<locals>.Counter instance for dspex.router.route raised ValueError")
    assert "attached by plugin" not in message
