"""Shared fixtures of the parity suite."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core import config, telemetry


@pytest.fixture
def clean_pipeline_settings(monkeypatch):
    """Default config, no telemetry handlers, and the registry without the example plugin
    (so ``"auto"`` steps choose between native and dspy only)."""
    monkeypatch.setenv("DSPEX_DISABLE_PLUGINS", "example")
    config.reset()
    telemetry.clear()
    dspex.registry.refresh()
    yield
    config.reset()
    telemetry.clear()
