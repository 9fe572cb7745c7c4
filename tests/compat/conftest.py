"""tests/compat runs with dspex-core, dspex-native and dspex-compat installed, and no dspy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"


def run_program(name: str, *args: str, layer: bool = True) -> subprocess.CompletedProcess:
    """Run ``programs/<name>.py`` in a fresh interpreter: on the layer (``python -m dspex_compat``) or,
    with ``layer=False``, as plain ``python`` (real dspy where it is installed)."""
    script = str(PROGRAMS / f"{name}.py")
    command = [sys.executable, "-m", "dspex_compat", script, *args] if layer else [sys.executable, script, *args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def run():
    return run_program
