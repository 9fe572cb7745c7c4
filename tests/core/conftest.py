"""Isolation for core tests: whatever backends are installed (tox env ``core`` has only the
example plugin, env ``all`` has every distribution), each test starts from a registry that
holds only the plugins it registers itself, default configuration, no telemetry handlers,
and a working directory without a ``pyproject.toml``.
"""

from __future__ import annotations

import os
import warnings
from importlib import metadata

import pytest

from dspex_core import config, registry, telemetry
from dspex_core._plugins import DISABLE_ENV, ENTRY_POINT_GROUP


def installed_entry_points() -> list[str]:
    return sorted({ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def reset_world(allow: tuple[str, ...] = ()) -> None:
    """Disable every installed plugin except ``allow``, drop in-process plugins, reset config."""
    blocked = [name for name in installed_entry_points() if name not in allow]
    os.environ[DISABLE_ENV] = ",".join(blocked)
    for key in [k for k in os.environ if k.startswith("DSPEX_") and k != DISABLE_ENV]:
        del os.environ[key]
    registry._extra_plugins.clear()
    config.reset()
    telemetry.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        registry.refresh()


@pytest.fixture(autouse=True)
def isolated(tmp_path):
    # No monkeypatch here: an autouse fixture without it is set up before, and torn down
    # after, a test's own monkeypatch, so nothing a test patches outlives this restore.
    saved = {k: v for k, v in os.environ.items() if k.startswith("DSPEX_")}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    reset_world()
    yield
    os.chdir(cwd)
    for key in [k for k in os.environ if k.startswith("DSPEX_")]:
        del os.environ[key]
    os.environ.update(saved)
    registry._extra_plugins.clear()
    config.reset()
    telemetry.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        registry.refresh()
