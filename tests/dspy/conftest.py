"""Fixtures for the dspy backend's tests."""

from __future__ import annotations

import os
import warnings

# dspy refreshes model metadata from the web on first use; tests run offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import pytest

from dspex_core import config


@pytest.fixture(autouse=True)
def _fresh_config():
    """Every test starts and ends with no configure() calls in force."""
    config.reset()
    yield
    config.reset()


@pytest.fixture(autouse=True)
def _quiet_plain_lm_warning():
    # PlainLM (a plain-dspy user's legacy BaseLM) triggers dspy 3.4's deprecation warning.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Implementing custom LMs", category=DeprecationWarning)
        yield
