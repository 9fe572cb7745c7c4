"""dspex-compat against real dspy: one unmodified DSPy program, per call, and ``import dspy``.

The program is tests/compat/programs/rag.py (a ``dspy.Module`` with a ``dspy.Retrieve`` step, a
``ChainOfThought`` and a ``Predict``, on an in-process ``dspy.BaseLM`` subclass that answers at
once). It runs unchanged in fresh interpreters, alternately: as ``python rag.py`` (real dspy) and
as ``python -m dspex_compat rag.py`` (the layer, its predictors served by native); each run keeps
its best batch of 50 calls and each side its best run. ``import dspy`` is timed in the process
(the layer installed first with ``dspex_compat.install()``), median of ``--import-runs``.

Run it with a Python that has dspy 3.4 and dspex-core, dspex-native and dspex-compat installed
(the tox env ``parity``): ``python benchmarks/bench_compat.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PROGRAM = Path(__file__).resolve().parents[1] / "tests" / "compat" / "programs" / "rag.py"
IMPORT = "import time; t = time.perf_counter(); import dspy; print(time.perf_counter() - t)"


def per_call(python: str, layer: bool, seconds: float) -> float:
    prefix = [python, "-m", "dspex_compat"] if layer else [python]
    done = subprocess.run([*prefix, str(PROGRAM), "--bench", str(seconds)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["per_call_s"]


def import_time(python: str, layer: bool) -> float:
    code = ("import dspex_compat; dspex_compat.install(); " if layer else "") + IMPORT
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each timed run")
    parser.add_argument("--rounds", type=int, default=5, help="alternating runs per side")
    parser.add_argument("--import-runs", type=int, default=15)
    args = parser.parse_args()

    layer_best = dspy_best = float("inf")
    for _ in range(args.rounds):
        dspy_best = min(dspy_best, per_call(args.python, False, args.seconds))
        layer_best = min(layer_best, per_call(args.python, True, args.seconds))
    layer_imports, dspy_imports = [], []
    for _ in range(args.import_runs):
        dspy_imports.append(import_time(args.python, False))
        layer_imports.append(import_time(args.python, True))
    layer_import, dspy_import = statistics.median(layer_imports), statistics.median(dspy_imports)

    print("| measure | dspex-compat | dspy | dspy / dspex-compat | target |")
    print("|---|---|---|---|---|")
    print(f"| rag.py per call (Retrieve, ChainOfThought, Predict) | {layer_best * 1e6:.1f} µs | "
          f"{dspy_best * 1e6:.1f} µs | {dspy_best / layer_best:.1f}x | >= 30x |")
    print(f"| import dspy (in process, median of {args.import_runs}) | {layer_import * 1e3:.1f} ms | "
          f"{dspy_import * 1e3:.1f} ms | {dspy_import / layer_import:.1f}x | layer < 50 ms |")


if __name__ == "__main__":
    main()
