"""Compiling one program with one optimizer on both backends, for parity.

Each side creates the program and the optimizer through ``dspex.create(..., implementation=...)``
(the dspy backend is real dspy 3.4) with its own :class:`~dspex_core.testing.RecordingLM` answering
from a reply function of the request alone, so both get identical answers as long as they ask
identical questions. A run records the LM calls, the compiled program's saved JSON (without the
metadata) and the outcome (``"ok"`` or the error's kind).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import tempfile
import warnings
from typing import Any, Callable

import dspex_core as dspex
from dspex_core.testing import RecordingLM

warnings.filterwarnings("ignore", module="dspy")
logging.getLogger("dspy").setLevel(logging.CRITICAL)  # failed examples are logged by both; not compared
logging.getLogger("dspex_native").setLevel(logging.CRITICAL)


def digest(*parts: Any) -> int:
    return int(hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest(), 16)


class Run:
    def __init__(self, outcome: Any, calls: list, saved: dict | None):
        self.outcome = outcome
        self.calls = calls
        self.saved = saved

    def __repr__(self) -> str:
        return f"Run({self.outcome!r}, calls={len(self.calls)})"


def compile_on(backend: str, replies: Callable[[list, dict], str], make_program: Callable[..., Any],
               optimizer: str, optimizer_options: dict[str, Any], trainset: list, **compile_options: Any) -> Run:
    lm = RecordingLM(replies)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            program = make_program(backend, lm)
            opt = dspex.create(optimizer, implementation=backend, **optimizer_options)
            compiled = dspex.compile(opt, program, trainset=trainset, **compile_options)
    except Exception as exc:  # noqa: BLE001 - compared with the other side's
        return Run(("error", type(exc).__name__), lm.calls, None)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "program.json")
        compiled.save(path)
        with open(path, encoding="utf-8") as handle:
            saved = json.load(handle)
    saved.pop("metadata", None)
    return Run(("ok",), lm.calls, saved)


def request_key(call: Any) -> str:
    return json.dumps([call.messages, call.settings], sort_keys=True)


def assert_same(native: Run, reference: Run, ordered: bool = True) -> None:
    assert native.outcome == reference.outcome, (native, reference)
    mine = [request_key(c) for c in native.calls]
    theirs = [request_key(c) for c in reference.calls]
    if ordered:
        assert mine == theirs
    else:
        assert sorted(mine) == sorted(theirs)
    assert native.saved == reference.saved
