"""``import dspex_core`` stays light: heavy modules load only when something needs them.

Checked in a fresh interpreter by which modules are loaded, not by timing
(benchmarks/bench_core.py has the numbers).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["pluggy", "asyncio", "json", "inspect", "ast", "pathlib", "concurrent.futures", "dspy", "dspex_native",
         "dspex_dspy", "httpx", "tomllib", "traceback"]

PROBE = """
import sys
import dspex_core as dspex
loaded = {m: m in sys.modules for m in %r}
sig = dspex.Signature("question -> answer")
after_sig = {m: m in sys.modules for m in ("pluggy", "asyncio")}
dspex.registry.backends()
after_registry = "pluggy" in sys.modules
import json
print(json.dumps([loaded, after_sig, after_registry]))
"""


def test_import_is_light_and_pluggy_loads_with_the_registry():
    out = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,)], capture_output=True, text=True, check=True)
    loaded, after_sig, after_registry = json.loads(out.stdout)
    assert [m for m, present in loaded.items() if present] == []
    assert after_sig == {"pluggy": False, "asyncio": False}
    assert after_registry is True


def test_core_never_imports_backends_or_dspy():
    out = subprocess.run([sys.executable, "-c", "import sys, dspex_core, dspex_core.cli, dspex_core.executors, "
                          "dspex_core.hookspecs; print(sorted(m for m in sys.modules if m.split('.')[0] in "
                          "('dspy', 'dspex_native', 'dspex_dspy')))"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
