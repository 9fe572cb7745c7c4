"""Running one ``multi_chain_comparison`` or reward-loop call on both backends, for parity.

Each side builds its modules through ``dspex.create(..., implementation=...)`` (the dspy backend is
real dspy 3.4) and calls them with its own :class:`~dspex_core.testing.RecordingLM` made from the
same script, so both get identical replies as long as they ask identical questions. A run records:

* the LM calls (messages and settings), with the one documented difference masked: the text of
  Refine's ``program_code`` input (dspy sends its own class's source, native its implementation's);
* the outcome: the prediction's fields (typed), ``None``, or the error's kind (an input error is one
  kind: a list of non-strings given to a ``str`` field is native's ``InputError`` and dspy's
  ``TypeError``), with the message for errors raised before any LM call;
* what was printed: the reward loops print every failed attempt as DSPy does.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import warnings
from typing import Any, Callable

import dspex_core as dspex
from _dspy_oracle import typed
from dspex_core.errors import AdapterParseError, InputError
from dspex_core.testing import RecordingLM
from dspex_core.testing.conformance._masks import PROGRAM_CODE

warnings.filterwarnings("ignore", module="dspy")
logging.getLogger("dspy").setLevel(logging.ERROR)  # dspy warns on the advice request's str-for-float inputs

FAILED_ATTEMPT = re.compile(r"^(?:BestOfN: Attempt \d+ failed with rollout id -?\d+|"
                            r"Refine: Attempt failed with rollout id -?\d+): ", re.M)
BACKENDS = ("native", "dspy")


def masked(text: str) -> str:
    """``text`` with Refine's ``program_code`` value replaced (the one documented difference): the
    conformance kit's mask, :data:`dspex_core.testing.conformance._masks.PROGRAM_CODE`."""
    return PROGRAM_CODE.rewrite(text)


class Run:
    """One side's run: ``outcome``, ``calls`` (LMCall), ``printed`` (stdout)."""

    def __init__(self, outcome: tuple, calls: list, printed: str):
        self.outcome = outcome
        self.calls = calls
        self.printed = printed

    def __repr__(self) -> str:
        return f"Run({self.outcome!r}, calls={len(self.calls)}, printed={self.printed!r})"


def outcome_of(result: Any) -> tuple:
    if result is None:
        return ("none",)
    fields = {k: result[k] for k in result.keys()}
    completions = [dict(c) for c in result.completions] if len(result.completions) > 1 else None
    return ("ok", typed(fields), typed(completions))


def error_outcome(exc: BaseException, calls: int) -> tuple:
    if isinstance(exc, (InputError, TypeError)):
        kind = "input_error"
    elif isinstance(exc, AdapterParseError):
        kind = "parse_error"
    else:
        kind = type(exc).__name__
    # before any LM call the message is the backends' own check: it must be the same
    return (kind, str(exc) if calls == 0 and isinstance(exc, InputError) else None)


def run(backend: str, build: Callable[[str], Any], calls: list[dict[str, Any]], script: Any,
        is_async: bool = False, options: dict[str, Any] | None = None) -> Run:
    """Build the module on ``backend`` (``build(backend) -> ModuleRef``) and call it once per item of
    ``calls`` (inputs, with the call ``options`` besides ``lm=``), with a fresh RecordingLM on
    ``script`` (replies, or an object whose ``fresh()`` gives this side its own replies); the
    outcome is the last call's."""
    if callable(getattr(script, "fresh", None)):  # a script object with state: one copy per side
        script = script.fresh()
    lm = RecordingLM(script if callable(script) or isinstance(script, str) else list(script))
    printed = io.StringIO()
    outcome: tuple = ()
    with contextlib.redirect_stdout(printed):
        try:
            ref = build(backend)
        except Exception as exc:  # noqa: BLE001 - the create error is part of the outcome
            return Run(("create", *error_outcome(exc, 0)), [], printed.getvalue())
        for inputs in calls:
            before = len(lm.calls)
            try:
                if is_async:
                    result = asyncio.run(dspex.aexecute(ref, dict(inputs), lm=lm, **(options or {})))
                else:
                    result = dspex.execute(ref, dict(inputs), lm=lm, **(options or {}))
                outcome = outcome_of(result)
            except Exception as exc:  # noqa: BLE001 - compared with the other side's
                outcome = error_outcome(exc, len(lm.calls) - before)
    return Run(outcome, lm.calls, printed.getvalue())


def assert_same(native: Run, reference: Run) -> None:
    assert len(native.calls) == len(reference.calls), (native, reference)
    for index, (mine, theirs) in enumerate(zip(native.calls, reference.calls)):
        assert [m["role"] for m in mine.messages] == [m["role"] for m in theirs.messages], index
        for m, t in zip(mine.messages, theirs.messages):
            assert masked(m["content"]) == masked(t["content"]), index
        assert mine.settings == theirs.settings, index
    assert native.outcome == reference.outcome
    assert FAILED_ATTEMPT.findall(native.printed) == FAILED_ATTEMPT.findall(reference.printed)


def run_both(build: Callable[[str], Any], calls: list[dict[str, Any]], script: Any, is_async: bool = False,
             options: dict[str, Any] | None = None) -> tuple[Run, Run]:
    """(native, dspy) runs of the same case, both sync or both async (the dspy backend's async runs
    dspy's forward in a worker thread: DSPy 3.4's MultiChainComparison, BestOfN and Refine have no
    async forward)."""
    return (run("native", build, calls, script, is_async, options),
            run("dspy", build, calls, script, is_async, options))
