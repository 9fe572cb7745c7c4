"""Discovery of real pip-installed plugins: the example backend, a plugin that raises on
import, a plugin whose hook raises, DSPEX_DISABLE_PLUGINS, and ``registry.refresh()`` after
installing and upgrading a plugin while the process runs.

The fixture distributions live in ``fixtures/``; they are pip-installed into the running
environment (tox env ``plugins``) and uninstalled afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import dspex_core as dspex
from dspex_core import config, registry, telemetry
from dspex_core._plugins import DISABLE_ENV
from dspex_core.errors import BackendNotInstalledError

FIXTURES = Path(__file__).parent / "fixtures"
DSPEX = str(Path(sys.executable).parent / "dspex")
BROKEN = {"broken_import": "dspex-test-broken-import", "raising_hook": "dspex-test-raising-hook"}


def pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def pip_install(*paths: Path) -> None:
    pip("install", "--no-deps", "--no-build-isolation", "--no-index", *map(str, paths))


def cli(*args: str, disable: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    if disable:
        env[DISABLE_ENV] = disable
    return subprocess.run([DSPEX, *args], capture_output=True, text=True, env=env, timeout=120)


def quiet_refresh() -> registry.Registry:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return registry.refresh()


@pytest.fixture(autouse=True)
def clean_state():
    saved = os.environ.pop(DISABLE_ENV, None)
    config.reset()
    quiet_refresh()
    yield
    os.environ.pop(DISABLE_ENV, None)
    if saved is not None:
        os.environ[DISABLE_ENV] = saved
    config.reset()
    quiet_refresh()


@pytest.fixture(scope="module")
def broken_plugins():
    """Install both broken fixture plugins once for this module (one pip call)."""
    pip_install(FIXTURES / "broken_import", FIXTURES / "raising_hook")
    try:
        yield
    finally:
        pip("uninstall", "-y", *BROKEN.values())
        quiet_refresh()


def _by_name(rows):
    return {row.name: row for row in rows}


def test_example_plugin_is_discovered_through_its_entry_point():
    backends = _by_name(registry.backends())
    example = backends["example"]
    assert (example.distribution, example.version, example.native, example.error) == \
        ("dspex-example", "0.1.0", True, None)
    assert example.module_types == ["metrics", "predict"]
    plugin = _by_name(registry.plugins())["example"]
    assert plugin.module == "dspex_example.plugin" and plugin.hooks == ["dspex_register_implementations"]
    assert dspex.Metrics.create("exact_match", implementation="example")(prediction="Paris", reference="paris").score


def test_disable_plugins_hides_example():
    os.environ[DISABLE_ENV] = "example"
    registry.refresh()
    assert "example" not in _by_name(registry.backends())
    assert "example" not in _by_name(registry.plugins())
    with pytest.raises(BackendNotInstalledError, match="'example'"):
        dspex.Metrics.create("f1", implementation="example")


def test_refresh_after_runtime_install_and_upgrade(tmp_path):
    assert "late" not in _by_name(registry.backends())
    pip_install(FIXTURES / "late")
    try:
        with pytest.raises(BackendNotInstalledError):  # not before a refresh
            dspex.Predict.create("q -> a", implementation="late")
        registry.refresh()
        late = _by_name(registry.backends())["late"]
        assert (late.distribution, late.version, late.module_types) == ("dspex-test-late", "0.1.0", ["predict"])
        ref = dspex.Predict.create("q -> a", implementation="late")
        assert ref(q="x").version == "0.1.0"

        upgraded = tmp_path / "late"
        shutil.copytree(FIXTURES / "late", upgraded)
        for path in (upgraded / "pyproject.toml", upgraded / "src" / "dspex_test_late" / "plugin.py"):
            path.write_text(path.read_text().replace("0.1.0", "0.2.0"))
        pip_install(upgraded)
        registry.refresh()
        assert _by_name(registry.backends())["late"].version == "0.2.0"
        assert dspex.Predict.create("q -> a", implementation="late")(q="x").version == "0.2.0"
    finally:
        pip("uninstall", "-y", "dspex-test-late")
    registry.refresh()
    assert "late" not in _by_name(registry.backends())
    with pytest.raises(BackendNotInstalledError, match="'late'"):
        dspex.Predict.create("q -> a", implementation="late")


def test_broken_plugins_are_listed_and_nothing_else_breaks(broken_plugins):
    events = []
    handler = telemetry.attach(telemetry.PLUGIN_ERROR, lambda e, m, md: events.append(md["plugin"]))
    try:
        with pytest.warns(RuntimeWarning) as caught:
            registry.refresh()
    finally:
        telemetry.detach(telemetry.PLUGIN_ERROR, handler)
    assert sorted(events) == ["broken_import", "raising_hook"]
    messages = " | ".join(str(w.message) for w in caught)
    assert "'broken_import' (dspex-test-broken-import 0.1.0) failed to import: RuntimeError" in messages
    assert "'raising_hook': dspex_register_implementations raised ValueError" in messages

    backends = _by_name(registry.backends())
    broken = backends["broken_import"]
    assert broken.error.startswith("failed to import: RuntimeError: dspex-test-broken-import fails on import")
    assert "(at plugin.py:3)" in broken.error and broken.module_types == []
    halfway = backends["halfway"]  # registered one type, then raised: rolled back, reported
    assert halfway.plugin == "raising_hook" and halfway.module_types == []
    assert "ValueError: dspex-test-raising-hook fails in its hook on purpose" in halfway.error
    assert registry.lookup("halfway", "predict") is None
    assert "halfway" not in registry.list_by_implementation()

    # everything else keeps working
    assert backends["example"].error is None
    ref = dspex.Metrics.create("f1", implementation="example")
    assert ref(prediction="a b", reference="b a").score == 1.0
    with pytest.raises(BackendNotInstalledError, match="failed to load: failed to import: RuntimeError"):
        dspex.Predict.create("q -> a", implementation="broken_import")


def test_cli_lists_broken_plugins_with_their_errors(broken_plugins):
    out = cli("backends")
    assert out.returncode == 0, out.stderr
    table = out.stdout.split("\n\n", 1)[0]  # what follows the table: features not built yet
    rows = {line.split()[0]: line for line in table.splitlines()[2:]}
    assert "failed to import: RuntimeError" in rows["broken_import"]
    assert "dspex_register_implementations raised ValueError" in rows["halfway"]
    assert rows["example"].split()[:6] == ["example", "dspex-example", "0.1.0", "yes", "metrics,", "predict"]
    as_json = {row["name"]: row for row in json.loads(cli("backends", "--json").stdout)}
    assert as_json["broken_import"]["distribution"] == "dspex-test-broken-import"
    assert as_json["broken_import"]["error"].startswith("failed to import: RuntimeError")
    assert as_json["example"]["error"] is None
    plugins = {row["name"]: row for row in json.loads(cli("plugins", "--json").stdout)}
    assert plugins["raising_hook"]["hooks"] == ["dspex_register_implementations"]
    assert "raised ValueError" in plugins["raising_hook"]["error"]

    hidden = cli("backends", "--json", disable="broken_import,raising_hook")
    assert {row["name"] for row in json.loads(hidden.stdout)} >= {"example"}
    assert not {"broken_import", "halfway"} & {row["name"] for row in json.loads(hidden.stdout)}


def test_disable_plugins_silences_broken_plugin(broken_plugins):
    os.environ[DISABLE_ENV] = "broken_import,raising_hook"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.refresh()
    assert not {"broken_import", "halfway"} & set(_by_name(registry.backends()))
