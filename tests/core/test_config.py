"""Configuration: precedence context > configure > DSPEX_* env > [tool.dspex] > defaults,
validation, and isolation of context() across threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import config
from dspex_core.errors import ConfigError

PYPROJECT = """
[project]
name = "someone-elses-project"

[tool.dspex]
prefer_native = false
allow_fallback = false
implementation_overrides = {predict = "python", react = "native"}
lm = "openai/gpt-4o-mini"
"""


def _write_pyproject(path, text=PYPROJECT):
    (path / "pyproject.toml").write_text(text)


def test_defaults():
    s = dspex.settings()
    assert s.as_dict() == config.DEFAULTS
    assert s.lm is None and s.prefer_native and s.allow_fallback and s.implementation_cache


def test_pyproject_is_read_from_nearest_parent(tmp_path, monkeypatch):
    _write_pyproject(tmp_path)
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    config.reset()
    s = dspex.settings()
    assert s.prefer_native is False and s.allow_fallback is False
    assert s.implementation_overrides == {"predict": "dspy", "react": "native"}
    assert s.lm == dspex.LM("openai/gpt-4o-mini")


def test_full_precedence_chain(tmp_path):
    _write_pyproject(tmp_path)
    os.environ["DSPEX_PREFER_NATIVE"] = "1"
    os.environ["DSPEX_ALLOW_FALLBACK"] = "yes"
    os.environ["DSPEX_TELEMETRY_ENABLED"] = "off"
    config.reset()
    s = dspex.settings()
    assert s.prefer_native is True  # env beats pyproject
    assert s.telemetry_enabled is False  # env beats default
    assert s.implementation_overrides == {"predict": "dspy", "react": "native"}  # pyproject beats default
    dspex.configure(prefer_native=False)
    assert dspex.settings().prefer_native is False  # configure beats env
    assert dspex.settings().allow_fallback is True  # untouched key still from env
    with dspex.context(prefer_native=True) as inner:
        assert inner.prefer_native is True and dspex.settings().prefer_native is True  # context beats configure
        dspex.configure(allow_fallback=False, prefer_native=False)
        assert dspex.settings().allow_fallback is False  # keys the block does not set follow configure()
        assert dspex.settings().prefer_native is True
    assert dspex.settings().prefer_native is False
    config.reset()  # forgets configure(), keeps env and pyproject
    assert dspex.settings().prefer_native is True and dspex.settings().allow_fallback is True


def test_environment_parsing():
    os.environ["DSPEX_IMPLEMENTATION_OVERRIDES"] = "predict=native, react = python,"
    os.environ["DSPEX_LM"] = "ollama_chat/llama3.2"
    os.environ["DSPEX_IMPLEMENTATION_CACHE"] = "false"
    config.reset()
    s = dspex.settings()
    assert s.implementation_overrides == {"predict": "native", "react": "dspy"}
    assert s.lm.model == "ollama_chat/llama3.2" and s.lm.provider == "ollama_chat"
    assert s.implementation_cache is False
    os.environ["DSPEX_IMPLEMENTATION_OVERRIDES"] = '{"predict": ":dspy"}'
    os.environ["DSPEX_LM"] = '{"model": "openai/gpt-4o-mini", "temperature": 0.5}'
    config.reset()
    assert dspex.settings().implementation_overrides == {"predict": "dspy"}
    assert dspex.settings().lm == dspex.LM("openai/gpt-4o-mini", temperature=0.5)
    os.environ["DSPEX_LM"] = "dspex/offline"  # the way to force the offline LM from the environment
    config.reset()
    assert isinstance(dspex.settings().lm, dspex.OfflineLM)
    os.environ["DSPEX_LM"] = '{"model": "dspex/offline", "temperature": 0.5}'
    config.reset()
    with pytest.raises(ConfigError, match="offline LM .dspex/offline. takes no settings"):
        dspex.settings()
    os.environ["DSPEX_LM"] = "{oops"
    config.reset()
    with pytest.raises(ConfigError, match="lm .environment. is not valid JSON"):
        dspex.settings()


@pytest.mark.parametrize("key,value,message", [
    ("DSPEX_PREFER_NATIVE", "maybe", "prefer_native .environment. must be true or false"),
    ("DSPEX_IMPLEMENTATION_OVERRIDES", "predict", "should be module_type=backend"),
    ("DSPEX_IMPLEMENTATION_OVERRIDES", "{not json", "not valid JSON"),
])
def test_bad_environment_values(key, value, message):
    os.environ[key] = value
    config.reset()
    with pytest.raises(ConfigError, match=message):
        dspex.settings()


def test_bad_pyproject(tmp_path):
    _write_pyproject(tmp_path, "[tool.dspex]\nprefer_nativ = true\n")
    config.reset()
    with pytest.raises(ConfigError, match="unknown configuration key 'prefer_nativ'"):
        dspex.settings()
    _write_pyproject(tmp_path, "[tool.dspex\n")
    config.reset()
    with pytest.raises(ConfigError, match="cannot read"):
        dspex.settings()


@pytest.mark.parametrize("text,kind", [('[tool]\ndspex = "x"\n', "str"), ("[[tool.dspex]]\nlm = 'a/b'\n", "list")])
def test_a_tool_dspex_that_is_not_a_table_is_a_config_error(tmp_path, text, kind):
    """It raised AttributeError ('str' object has no attribute 'items')."""
    _write_pyproject(tmp_path, text)
    config.reset()
    with pytest.raises(ConfigError, match=rf"\[tool.dspex\] in .*pyproject.toml must be a table .* got a {kind}"):
        dspex.settings()


def test_a_tool_key_that_is_not_a_table_holds_no_dspex_settings(tmp_path):
    _write_pyproject(tmp_path, 'tool = "x"\n')
    config.reset()
    assert dspex.settings().prefer_native is True


@pytest.mark.parametrize("values,message", [
    ({"prefer_native": "sometimes"}, "must be true or false"),
    ({"implementation_overrides": ["predict"]}, "must map module types"),
    ({"implementation_overrides": {"predict": 3}}, "must be strings"),
    ({"lm": 42}, "must be dspex.LM"),
    ({"lm": {"api_key": "x"}}, "needs a 'model' key"),
    ({"executor": 3}, "executor"),
    ({"nope": 1}, "unknown configuration key 'nope'"),
])
def test_configure_validation(values, message):
    with pytest.raises(ConfigError, match=message):
        dspex.configure(**values)
    with pytest.raises(ConfigError, match=message):
        with dspex.context(**values):
            pass
    assert dspex.settings().as_dict() == config.DEFAULTS  # a rejected call changes nothing


def test_settings_are_immutable():
    with pytest.raises(AttributeError, match="immutable"):
        dspex.settings().prefer_native = False


def test_lm_forms():
    dspex.configure(lm={"model": "openai/gpt-4o-mini", "temperature": 0.0})
    assert dspex.settings().lm.model == "openai/gpt-4o-mini"
    custom = lambda messages, **kw: ["x"]  # noqa: E731
    dspex.configure(lm=custom)
    assert dspex.settings().lm is custom
    assert config.current_lm() is custom


def test_context_nesting():
    with dspex.context(prefer_native=False, allow_fallback=False):
        with dspex.context(prefer_native=True):
            s = dspex.settings()
            assert s.prefer_native is True and s.allow_fallback is False
        assert dspex.settings().prefer_native is False
    assert dspex.settings().prefer_native is True


def test_context_isolated_across_threads():
    barrier = threading.Barrier(4)

    def worker(flag):
        with dspex.context(prefer_native=flag, implementation_overrides={"predict": f"b{int(flag)}"}):
            barrier.wait()
            s = dspex.settings()
            return s.prefer_native, s.implementation_overrides["predict"]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(worker, [True, False, True, False]))
    assert results == [(True, "b1"), (False, "b0"), (True, "b1"), (False, "b0")]
    assert dspex.settings().implementation_overrides == {}


def test_context_isolated_across_asyncio_tasks():
    async def task(flag, gate):
        with dspex.context(allow_fallback=flag):
            await gate.wait()
            return dspex.settings().allow_fallback

    async def main():
        gate = asyncio.Event()
        tasks = [asyncio.create_task(task(i % 2 == 0, gate)) for i in range(6)]
        await asyncio.sleep(0)
        gate.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(main()) == [True, False] * 3
    assert dspex.settings().allow_fallback is True


def test_tasks_inherit_enclosing_context():
    async def child():
        return dspex.settings().prefer_native

    async def main():
        with dspex.context(prefer_native=False):
            return await asyncio.create_task(child())

    assert asyncio.run(main()) is False


def test_configure_is_process_wide():
    dspex.configure(prefer_native=False)
    out = []
    t = threading.Thread(target=lambda: out.append(dspex.settings().prefer_native))
    t.start()
    t.join()
    assert out == [False]


bools = st.sampled_from([None, True, False])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pyproject=bools, env=bools, configured=bools, ctx=bools)
def test_precedence_property(tmp_path, pyproject, env, configured, ctx):
    os.environ.pop("DSPEX_ALLOW_FALLBACK", None)
    (tmp_path / "pyproject.toml").unlink(missing_ok=True)
    if pyproject is not None:
        _write_pyproject(tmp_path, f"[tool.dspex]\nallow_fallback = {str(pyproject).lower()}\n")
    if env is not None:
        os.environ["DSPEX_ALLOW_FALLBACK"] = "true" if env else "false"
    config.reset()
    if configured is not None:
        dspex.configure(allow_fallback=configured)
    expected = next(v for v in (ctx, configured, env, pyproject, True) if v is not None)
    if ctx is not None:
        with dspex.context(allow_fallback=ctx):
            assert dspex.settings().allow_fallback is expected
    else:
        assert dspex.settings().allow_fallback is expected
    os.environ.pop("DSPEX_ALLOW_FALLBACK", None)
