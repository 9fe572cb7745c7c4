"""Run DSPy's own test suite against dspex-compat (or real dspy) and count what passes.

    python tools/dspy_test_suite.py --tests PATH/TO/dspy/tests --python PY [--baseline passed.txt] [--write out.txt]

``--tests`` is the ``tests`` folder of a dspy checkout (``fetch`` mirrors the repository; its tests
are not in the wheel). The folder is copied to a temporary place and its conftest loses the LiteLLM
test-server fixture (litellm is not installed where the layer is measured); nothing else is changed.
``--python`` is an interpreter where ``import dspy`` resolves to what is measured: an env with
dspex-core, dspex-native and dspex-compat and without dspy and litellm (the layer), or an env with
real dspy (the baseline). The groups run are DSPy's predict, adapters, signatures, primitives,
evaluate, callback and retrievers tests. Prints how many tests passed, and with ``--baseline`` (the
ids real dspy passes, one per line, as ``--write`` saves them) how many of those pass, per file.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GROUPS = ("predict", "adapters", "signatures", "primitives", "evaluate", "callback", "retrievers")
SERVER_IMPORT = '''from tests.test_utils.server import (  # noqa: F401
    _litellm_test_server,
    litellm_test_server,
    read_litellm_test_server_request_logs,
)
'''


def passed_ids(tests: Path, python: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "tests"
        shutil.copytree(tests, copy)
        conftest = copy / "conftest.py"
        conftest.write_text(conftest.read_text().replace(SERVER_IMPORT, ""))
        done = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA",
                               "--continue-on-collection-errors",
                               *(f"tests/{group}" for group in GROUPS)], cwd=tmp, capture_output=True, text=True)
    return sorted(line[len("PASSED "):].split(" - ")[0] for line in done.stdout.splitlines()
                  if line.startswith("PASSED "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", required=True, type=Path)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    ids = passed_ids(args.tests, args.python)
    if args.write:
        args.write.write_text("\n".join(ids) + "\n")
    print(f"{len(ids)} tests passed")
    if args.baseline:
        baseline = [line for line in args.baseline.read_text().splitlines() if line]
        got = set(ids)
        per_file = collections.Counter(test.split("::")[0] for test in baseline)
        hits = collections.Counter(test.split("::")[0] for test in baseline if test in got)
        share = len(got & set(baseline)) / len(baseline)
        print(f"{len(got & set(baseline))} of the baseline's {len(baseline)} ({share:.1%})")
        for name in sorted(per_file, key=lambda n: (hits[n] - per_file[n], n)):
            print(f"  {hits[name]:4d} / {per_file[name]:4d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
