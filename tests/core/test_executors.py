"""Executors as plugins: the hook and its factories, the built-in threads and asyncio executors,
``dspex executors``, ``dspex.map`` (input order, ``return_exceptions``), selection by argument,
configuration and ``DSPEX_EXECUTOR``, unknown names, and work as it is shipped to other processes."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import config, hookimpl, registry
from dspex_core.errors import CapabilityError, ConfigError, InputError, PluginError
from dspex_core.executors import (
    SECRET_ENV_PREFIX,
    AsyncioExecutor,
    ExecutorFailure,
    ShippedLM,
    ThreadExecutor,
    Work,
)

from core_test_plugins import BackendPlugin, Impl

DSPEX = os.path.join(os.path.dirname(sys.executable), "dspex")


class Echo(Impl):
    """``predict`` that answers with its input, fails on ``fail``, and saves/loads its state."""

    def execute(self, state, inputs, **options):
        if "fail" in inputs:
            raise ValueError(f"cannot answer {inputs['fail']}")
        return dspex.Prediction(answer=f"{state['prefix']}{inputs['question']}")

    def create(self, spec, **options):
        return {"prefix": options.get("prefix", "")}

    def dump_state(self, state):
        return dict(state)

    def load_state(self, spec, state_dict, **options):
        return dict(state_dict)


class Recorded:
    """An executor factory plugin: records the options it was made with and the calls it served."""

    def __init__(self):
        self.made = []
        self.calls = []

    @hookimpl
    def dspex_register_executors(self, register):
        plugin = self

        class Counting(ThreadExecutor):
            def __init__(self, **options):
                plugin.made.append(options)
                super().__init__()

            def map(self, fn, items, *, max_workers=None, on_result=None):
                plugin.calls.append(len(items))
                return super().map(fn, items, max_workers=max_workers, on_result=on_result)

        register("counting", Counting)


@pytest.fixture
def echo():
    registry.register_plugin(BackendPlugin("echo", ["predict"], impl=Echo("echo")), "echo")
    return dspex.Predict.create("question -> answer", prefix="A:")


# -- the built-in executors ---------------------------------------------------------------------

def test_threads_and_asyncio_are_always_there():
    rows = {e.name: e for e in registry.executors()}
    assert [name for name in rows][:2] == ["threads", "asyncio"]
    assert rows["threads"].distribution == rows["asyncio"].distribution == "dspex-core"
    assert isinstance(registry.executor("threads"), ThreadExecutor)
    assert isinstance(registry.executor("asyncio"), AsyncioExecutor)


def test_the_asyncio_executor_awaits_coroutines_and_runs_functions_in_order():
    executor = AsyncioExecutor(max_workers=3)

    async def double(x):
        await asyncio.sleep(0)
        if x == 4:
            raise ValueError("four")
        return 2 * x

    results = executor.map(double, range(6))
    assert results[:4] == [0, 2, 4, 6] and results[5] == 10
    assert isinstance(results[4], ExecutorFailure) and str(results[4].error) == "four"
    assert executor.map(str, [1, 2, 3]) == ["1", "2", "3"]


def test_the_asyncio_executor_works_from_inside_a_running_loop():
    async def inside():
        return AsyncioExecutor().map(lambda x: x + 1, [1, 2])

    assert asyncio.run(inside()) == [2, 3]


def test_executor_options_are_checked():
    with pytest.raises(ConfigError, match="max_workers must be a positive integer"):
        registry.executor("threads", {"max_workers": 0})
    with pytest.raises(ConfigError, match=r"executor_options .*'bogus'.* do not fit executor 'threads'"):
        registry.executor("threads", {"bogus": 1})
    assert registry.executor("threads", {"max_workers": 3}).max_workers == 3


# -- the hook --------------------------------------------------------------------------------

def test_a_plugin_registers_an_executor_factory_made_from_the_configured_options(echo):
    plugin = Recorded()
    registry.register_plugin(plugin, "recorded")
    row = next(e for e in registry.executors() if e.name == "counting")
    assert (row.plugin, row.distribution, row.error) == ("recorded", "(in-process)", None)
    dspex.configure(executor="counting", executor_options={"region": "eu"})
    assert [p.answer for p in dspex.map(echo, [{"question": "q1"}, {"question": "q2"}])] == ["A:q1", "A:q2"]
    assert plugin.made == [{"region": "eu"}] and plugin.calls == [2]
    dspex.map(echo, [{"question": "q3"}])
    assert plugin.made == [{"region": "eu"}]  # one executor per name and options, reused


def test_an_executor_hook_that_raises_is_reported_and_its_executors_dropped():
    class Broken:
        @hookimpl
        def dspex_register_executors(self, register):
            register("half", ThreadExecutor)
            raise RuntimeError("no cluster config")

    with pytest.warns(RuntimeWarning, match="dspex_register_executors raised RuntimeError: no cluster config"):
        registry.register_plugin(Broken(), "broken")
    assert "half" not in registry.executor_names()
    row = next(e for e in registry.executors() if e.name == "broken")
    assert "no cluster config" in row.error


def test_register_rejects_what_is_not_an_executor():
    class Wrong:
        @hookimpl
        def dspex_register_executors(self, register):
            register("nothing", 42)

    with pytest.warns(RuntimeWarning, match="executor 'nothing' must be a factory"):
        registry.register_plugin(Wrong(), "wrong")


# -- selection and unknown names ----------------------------------------------------------------

def test_an_unknown_executor_names_the_installed_ones(echo):
    message = "no executor named 'rya'; installed: asyncio, threads"
    with pytest.raises(InputError, match=message):
        dspex.map(echo, [{"question": "q"}], executor="rya")
    dspex.configure(executor="rya")
    with pytest.raises(InputError, match=message):
        dspex.map(echo, [{"question": "q"}])
    with pytest.raises(InputError, match=message):
        registry.executor()


def test_dspex_executor_environment_variable(echo):
    plugin = Recorded()
    registry.register_plugin(plugin, "recorded")
    os.environ["DSPEX_EXECUTOR"] = "counting"
    os.environ["DSPEX_EXECUTOR_OPTIONS"] = '{"zone": 2}'
    config.reset()
    dspex.map(echo, [{"question": "q"}])
    assert plugin.made == [{"zone": 2}] and plugin.calls == [1]
    os.environ["DSPEX_EXECUTOR_OPTIONS"] = "[1, 2]"
    config.reset()
    with pytest.raises(ConfigError, match="executor_options .environment. must map option names to values"):
        dspex.settings()


def test_the_executor_argument_wins_over_the_configured_one(echo):
    plugin = Recorded()
    registry.register_plugin(plugin, "recorded")
    dspex.configure(executor="asyncio", executor_options={"max_workers": 2})
    dspex.map(echo, [{"question": "q"}], executor="counting")
    assert plugin.calls == [1]
    assert plugin.made == [{}]  # the configured options are asyncio's, not another executor's


# -- dspex.map ------------------------------------------------------------------------------------

@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the plugin is the same for every example
@given(st.lists(st.text(max_size=8), max_size=30), st.sampled_from(["threads", "asyncio"]))
def test_map_returns_results_in_input_order(echo, questions, executor):
    results = dspex.map(echo, [{"question": q} for q in questions], executor=executor)
    assert [p.answer for p in results] == [f"A:{q}" for q in questions]


@pytest.mark.parametrize("executor", ["threads", "asyncio"])
def test_return_exceptions_puts_each_failure_in_its_place(echo, executor):
    items = [{"question": "a"}, {"question": "b", "fail": 1}, dspex.Example(question="c").with_inputs("question")]
    results = dspex.map(echo, items, executor=executor, return_exceptions=True)
    assert results[0].answer == "A:a" and results[2].answer == "A:c"
    assert isinstance(results[1], ValueError) and str(results[1]) == "cannot answer 1"
    with pytest.raises(ValueError, match="cannot answer 1"):
        dspex.map(echo, items, executor=executor)


def test_map_rejects_bad_input_naming_it(echo):
    with pytest.raises(InputError, match="expected a ModuleRef"):
        dspex.map(lambda x: x, [{"question": "q"}])
    with pytest.raises(InputError, match=r"items\[1\] is a str; each item is a dict of inputs or a dspex.Example"):
        dspex.map(echo, [{"question": "q"}, "q2"])
    with pytest.raises(InputError, match="takes a list of input dicts or Examples, got dict"):
        dspex.map(echo, {"question": "q"})
    assert dspex.map(echo, []) == []


def test_an_executor_that_loses_a_result_is_named(echo):
    class Lossy:
        @hookimpl
        def dspex_register_executors(self, register):
            class Drops(ThreadExecutor):
                def map(self, fn, items, **kwargs):
                    return super().map(fn, items, **kwargs)[:-1]

            register("lossy", Drops)

    registry.register_plugin(Lossy(), "lossy")
    with pytest.raises(PluginError, match="executor 'lossy' returned 1 results for 2 items"):
        dspex.map(echo, [{"question": "a"}, {"question": "b"}], executor="lossy")


# -- shipped work -------------------------------------------------------------------------------

def test_shipped_work_is_data_and_rebuilds_to_the_same_results(echo):
    dspex.configure(lm=dspex.LM("openai/some-model", api_key="sk-core-test-secret-99", temperature=0.1))
    shipped, env = Work(echo).ship()
    data = pickle.dumps(shipped)
    assert b"sk-core-test-secret-99" not in data
    assert isinstance(shipped.settings["lm"], ShippedLM)
    assert [json.loads(v) for k, v in env.items() if k.startswith(SECRET_ENV_PREFIX)] == ["sk-core-test-secret-99"]
    again = pickle.loads(data)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the worker's environment, as the executor sets it
    try:
        lm = again.settings["lm"].build()
        assert lm.secret("api_key") == "sk-core-test-secret-99" and lm.settings == {"temperature": 0.1}
        assert again.rebuild()({"question": "q"}) == echo(question="q")
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    with pytest.raises(InputError, match=f"the worker's environment has no {SECRET_ENV_PREFIX}"):
        again.settings["lm"].build({})


def test_what_cannot_be_rebuilt_elsewhere_is_refused_before_any_work(echo):
    class HalfSaved(Impl):
        def dump_state(self, state):
            return {}

    registry.register_plugin(BackendPlugin("half", ["predict"], impl=HalfSaved("half")), "half")
    half = dspex.Predict.create("question -> answer", implementation="half")
    with pytest.raises(CapabilityError, match="needs both dump_state and load_state"):
        Work(half).ship()
    with pytest.raises(CapabilityError, match="the program is a function, not a module"):
        Work(lambda question: question).ship()
    wrapper = dspex.create("predict", "question -> answer", implementation="echo", inner=echo)
    with pytest.raises(CapabilityError, match="a module built on another module cannot be sent"):
        Work(wrapper).ship()


# -- the command ---------------------------------------------------------------------------------

def test_dspex_executors_table_and_json():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    out = subprocess.run([DSPEX, "executors"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0
    assert out.stdout.splitlines()[0].split() == ["executor", "distribution", "version", "error"]
    assert "threads *" in out.stdout and "asyncio" in out.stdout
    out = subprocess.run([DSPEX, "executors", "--json"], capture_output=True, text=True,
                         env={**env, "DSPEX_EXECUTOR": "asyncio"}, timeout=120)
    rows = {row["name"]: row for row in json.loads(out.stdout)}
    assert rows["asyncio"]["configured"] is True and rows["threads"]["configured"] is False
    assert rows["threads"]["distribution"] == "dspex-core"
    out = subprocess.run([DSPEX, "executors"], capture_output=True, text=True,
                         env={**env, "DSPEX_EXECUTOR_OPTIONS": "{bad"}, timeout=120)
    assert out.returncode == 2 and "ConfigError: executor_options (environment) is not valid JSON" in out.stderr
