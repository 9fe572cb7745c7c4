"""Unmodified DSPy programs on dspex-compat against the same programs on real dspy 3.4.

Each program in tests/compat/programs runs twice in fresh interpreters: as plain ``python``
(real dspy) and as ``python -m dspex_compat`` (the layer, its predictors served by native).
Every message sent to the LM, every LM output, every result and the saved state must be equal.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(os.environ.get("DSPEX_TEST_ROOT", Path(__file__).parents[2])) / "tests" / "compat" / "programs"


def _run(name: str, out: Path, layer: bool) -> dict:
    script = str(PROGRAMS / f"{name}.py")
    command = [sys.executable, "-m", "dspex_compat", script, str(out)] if layer else [sys.executable, script, str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["pipeline", "demos_and_state", "async_calls", "rag", "optimize",
                                  "evaluate_and_parallel", "refine_and_best_of_n", "react_tools", "rlm_loop",
                                  "random_search", "copro", "knn", "streaming", "save_program",
                                  "rlm_subagents", "adapters_api", "program_of_thought",
                                  "code_act", "direct_lm", "react_v2", "bettertogether", "lm_errors", "embeddings"])
def test_the_layer_sends_and_returns_what_dspy_does(name, tmp_path):
    on_dspy = _run(name, tmp_path / "dspy.json", layer=False)
    on_layer = _run(name, tmp_path / "layer.json", layer=True)
    assert on_layer == on_dspy
    if (tmp_path / "dspy.json").exists():
        saved_dspy = json.loads((tmp_path / "dspy.json").read_text())
        saved_layer = json.loads((tmp_path / "layer.json").read_text())
        meta_dspy, meta_layer = saved_dspy.pop("metadata"), saved_layer.pop("metadata")
        assert saved_layer == saved_dspy
        assert set(meta_layer["dependency_versions"]) == set(meta_dspy["dependency_versions"])
