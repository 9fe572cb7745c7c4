"""Core overhead: ``import dspex_core``, the router's cached decision, and a full ``execute()``.

Run with the distributions installed (not editable installs, which add a finder to every
import), e.g. in the tox env ``core``::

    python benchmarks/bench_core.py [--runs 40]

Targets: ``import dspex_core`` under 30 ms over bare Python; the
router's cost per call once a decision is cached under 2 µs. Numbers, not asserts: tests
never depend on timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit


def _wall(code: str, runs: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DSPEX_", "PYTHON"))}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-S" if code == "pass-S" else "-c", "pass" if code == "pass-S" else code],
                       check=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def _importtime_self_ms(module: str) -> float:
    """Cumulative import time of ``module`` as ``python -X importtime`` reports it (µs -> ms)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True, check=True).stderr
    for line in reversed(out.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000
    return float("nan")


def _per_call(stmt, number: int, repeat: int = 7) -> float:
    """Best-of-``repeat`` seconds per call (the least disturbed run)."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number


def measure(runs: int) -> list[tuple[str, str, str]]:
    rows = []
    bare = _wall("pass", runs)
    imported = _wall("import dspex_core", runs)
    diff_ms = (statistics.median(imported) - statistics.median(bare)) * 1000
    rows.append(("python -c pass (median wall)", f"{statistics.median(bare) * 1000:.1f} ms", ""))
    rows.append(("python -c 'import dspex_core' (median wall)", f"{statistics.median(imported) * 1000:.1f} ms", ""))
    rows.append(("import dspex_core over bare Python", f"{diff_ms:.1f} ms", "< 30 ms"))
    rows.append(("  -X importtime cumulative for dspex_core", f"{_importtime_self_ms('dspex_core'):.1f} ms", ""))
    heavy = subprocess.run([sys.executable, "-c", "import sys, dspex_core; print(sorted(m for m in "
                            "('pluggy', 'asyncio', 'json', 'inspect', 'ast', 'pathlib') if m in sys.modules))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    rows.append(("  heavy modules loaded by the import", heavy, "[]"))

    import dspex_core as dspex
    from dspex_core import Prediction, _router, hookimpl, registry, telemetry

    answer = Prediction(answer="a")

    class Trivial:
        """Returns a prebuilt prediction, so that what is timed is dspex, not the backend."""

        def create(self, spec, **options):
            return spec

        def execute(self, state, inputs, **options):
            return answer

    impl = Trivial()

    class Plugin:
        @hookimpl
        def dspex_register_implementations(self, register):
            # above every installed backend (native registers predict at 100), so the router picks
            # it whatever else is installed: what is measured is the core's own overhead
            register("predict", impl, backend="bench", native=True, priority=10_000)

    registry.register_plugin(Plugin(), "bench")
    settings = dspex.settings()
    select = _router.select
    select("predict", None, settings)
    n = 200_000
    cached = _per_call(lambda: select("predict", None, settings), n)
    rows.append(("router select(), decision cached", f"{cached * 1e9:.0f} ns", "< 2 µs"))
    with_settings = _per_call(lambda: select("predict", None, dspex.settings()), n)
    rows.append(("settings() + select(), decision cached", f"{with_settings * 1e9:.0f} ns", "< 2 µs"))
    with dspex.context(implementation_cache=False):
        uncached_settings = dspex.settings()
        uncached = _per_call(lambda: select("predict", None, uncached_settings), n // 4)
    rows.append(("router select(), cache off (for scale)", f"{uncached * 1e9:.0f} ns", ""))

    ref = dspex.Predict.create("question -> answer")
    inputs = {"question": "q"}
    execute = dspex.execute
    direct = _per_call(lambda: impl.execute("question -> answer", inputs), n)
    routed = _per_call(lambda: execute(ref, inputs), n)
    called = _per_call(lambda: ref(question="q"), n)
    rows.append(("trivial implementation, called directly", f"{direct * 1e9:.0f} ns", ""))
    rows.append(("dspex.execute(ref, inputs) on it", f"{routed * 1e9:.0f} ns", ""))
    rows.append(("  framework overhead per execute()", f"{(routed - direct) * 1e9:.0f} ns", ""))
    rows.append(("ref(question=...) on it", f"{called * 1e9:.0f} ns", ""))
    handler = telemetry.attach(telemetry.ROUTE, lambda event, measurements, metadata: None)
    telemetry.attach(telemetry.EXECUTE, handler)
    observed = _per_call(lambda: execute(ref, inputs), n // 4)
    rows.append(("dspex.execute() with route+execute handlers attached", f"{observed * 1e9:.0f} ns", ""))
    with dspex.context(telemetry_enabled=False):
        silenced = _per_call(lambda: execute(ref, inputs), n // 4)
    rows.append(("  the same with telemetry_enabled=False", f"{silenced * 1e9:.0f} ns", ""))
    telemetry.clear()
    create = _per_call(lambda: dspex.create("predict", "question -> answer"), n // 4)
    rows.append(("dspex.create('predict', ...) (cached decision)", f"{create * 1e9:.0f} ns", ""))
    registry.unregister_plugin("bench")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="subprocess runs for import timing (median)")
    args = parser.parse_args()
    rows = measure(args.runs)
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"import timing: median of {args.runs} runs")
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | result | target |")
    print(f"|{'-' * (width + 2)}|--------|--------|")
    for name, value, target in rows:
        print(f"| {name.ljust(width)} | {value} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
