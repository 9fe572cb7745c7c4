"""The reliability suite: faults, secrets, bad input and broken plugins, on both backends.

Each file takes one kind of probe (an LM server that fails in a given way, a secret that must
not reach an output, a user mistake that must be a dspex error, a plugin that misbehaves) and
runs it through every path a user has: the Python API on native and on dspy, the CLI, the
environment and pyproject settings. The suite runs in its own tox env (``reliability``) with
every distribution installed, and stays under five minutes.
"""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core import config, telemetry


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch):
    """Default config, no telemetry handlers and the registry without the example plugin, before
    and after every test: a probe must not see another's settings."""
    monkeypatch.setenv("DSPEX_DISABLE_PLUGINS", "example")
    config.reset()
    telemetry.clear()
    dspex.registry.refresh()
    yield
    config.reset()
    telemetry.clear()
