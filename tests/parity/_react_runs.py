"""Running a ReAct parity case three ways (native, plain ``dspy.ReAct``, the dspy backend) and
comparing the runs.

Comparisons are exact except in one place, the traceback in a failed tool's observation
(``Execution error in <tool>: <traceback>``): its frames are each process's own code (DSPy's
files, or native's), so :func:`normalize` removes the frames, and keeps the rest, including the
exception's type and message. The other known difference: a union-typed argument that fails
pydantic's conversion (after the JSON schema, which DSPy skips for unions) is pydantic's
``ValidationError`` on dspy and a ``ValueError`` on native; both are reduced to a marker.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import dspy
from dspy.utils.exceptions import AdapterParseError as DspyParseError
from dspy.utils.exceptions import ContextWindowExceededError as DspyContextWindowError

from _dspy_oracle import to_dspy_signature, typed
from _react_cases import recording
from dspex_core.testing.conformance._react_tools import TOOLS
from dspex_core.errors import AdapterParseError, ContextWindowExceededError, InputError
from dspex_core.testing.conformance._masks import tool_traceback

warnings.filterwarnings("ignore", module="dspy")
warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)


# -- running a case ----------------------------------------------------------------------------

class DspyLM(dspy.BaseLM):
    """Plain dspy's view of the recording LM (as the parity oracle's ``CustomLM``), with the
    context-window error the script raises as dspy's own, which ``dspy.ReAct`` catches."""

    def __init__(self, obj: Any):
        super().__init__(model=getattr(obj, "model", "dspex/custom"), model_type="chat", cache=False)
        self.kwargs = {}
        self._obj = obj

    def __call__(self, prompt=None, messages=None, **kwargs):
        try:
            return self._obj(messages, **kwargs)
        except ContextWindowExceededError as exc:
            raise DspyContextWindowError(model=exc.model, message=str(exc)) from exc

    async def acall(self, prompt=None, messages=None, **kwargs):
        return self(prompt, messages, **kwargs)


def _tools(case: dict[str, Any]) -> list[Any]:
    return [TOOLS[name] for name in case["tools"]]


def outcome(fn: Any) -> tuple:
    """``("ok", fields)`` or ``("error", kind)``, comparable across backends."""
    try:
        pred = fn()
    except (AdapterParseError, DspyParseError):
        return ("error", "parse")
    except (ContextWindowExceededError, DspyContextWindowError):
        return ("error", "context_window")
    except (InputError, TypeError):
        return ("error", "input_or_type")
    except ValueError as exc:  # the script's own: raised by the LM outside the agent loop
        return ("error", f"ValueError: {exc}")
    return ("ok", {k: pred[k] for k in pred.keys()})


def run_plain_dspy(case: dict[str, Any], is_async: bool = False) -> tuple:
    lm = recording(case["script"])
    program = dspy.ReAct(to_dspy_signature(case["signature"]), tools=_tools(case), max_iters=case["max_iters"])
    for _, predictor in program.named_predictors():
        predictor.demos = [dspy.Example(**d) for d in case["demos"]]
        predictor.config = dict(case["config"])
    kwargs = dict(case["inputs"])
    if case["call_config"] is not None:
        kwargs["config"] = dict(case["call_config"])
    if case["call_max_iters"] is not None:
        kwargs["max_iters"] = case["call_max_iters"]
    adapter = {"json": dspy.JSONAdapter, "xml": dspy.XMLAdapter}.get(case["adapter"], lambda: None)()
    with dspy.context(lm=DspyLM(lm), adapter=adapter):
        if is_async:
            result = outcome(lambda: asyncio.run(program.acall(**kwargs)))
        else:
            result = outcome(lambda: program(**kwargs))
    return result, lm.calls


def call_options(case: dict[str, Any], lm: Any) -> dict[str, Any]:
    """The call options of a case (``lm``, and ``config`` and ``max_iters`` when it has them)."""
    options: dict[str, Any] = {"lm": lm}
    if case["call_config"] is not None:
        options["config"] = dict(case["call_config"])
    if case["call_max_iters"] is not None:
        options["max_iters"] = case["call_max_iters"]
    return options


def run_native(case: dict[str, Any], is_async: bool = False) -> tuple:
    from dspex_native.modules.react import implementation

    lm = recording(case["script"])
    state = implementation.create(case["signature"], tools=_tools(case), max_iters=case["max_iters"],
                                  demos=list(case["demos"]), adapter=case["adapter"], **case["config"])
    return _run(implementation, state, case, lm, is_async), lm.calls


def run_dspy_backend(case: dict[str, Any], is_async: bool = False) -> tuple:
    from dspex_dspy.modules.react import implementation

    assert not case["config"], "the dspy backend takes LM settings per call only"
    lm = recording(case["script"])
    state = implementation.create(case["signature"], tools=_tools(case), max_iters=case["max_iters"],
                                  demos=list(case["demos"]), adapter=case["adapter"])
    return _run(implementation, state, case, lm, is_async), lm.calls


def _run(implementation: Any, state: Any, case: dict[str, Any], lm: Any, is_async: bool) -> tuple:
    options = call_options(case, lm)
    if is_async:
        return outcome(lambda: asyncio.run(implementation.aexecute(state, dict(case["inputs"]), **options)))
    return outcome(lambda: implementation.execute(state, dict(case["inputs"]), **options))


# -- comparing ---------------------------------------------------------------------------------

def normalize(text: str) -> str:
    """``text`` without traceback frames (and pydantic's/native's conversion messages as one marker):
    the conformance kit's mask of this known difference, :func:`dspex_core.testing.conformance._masks.tool_traceback`."""
    return tool_traceback(text)


def normalized_messages(calls: list[Any]) -> list[list[dict[str, Any]]]:
    """Every request's messages, each normalized (:func:`normalize`)."""
    return [[{**m, "content": normalize(m["content"])} for m in call.messages] for call in calls]


def comparable(result: tuple) -> Any:
    kind, fields = result
    if kind != "ok":
        return result
    out = dict(fields)
    out["trajectory"] = {k: normalize(v) if isinstance(v, str) and k.startswith("observation_") else v
                         for k, v in fields["trajectory"].items()}
    return ("ok", typed(out))


def _events(result: tuple, calls: list[Any]) -> None:
    """Label the run for ``--hypothesis-show-statistics``: what the case exercised."""
    from hypothesis import event
    from hypothesis.control import currently_in_test_context

    if not currently_in_test_context():
        return
    kind, fields = result
    event(f"outcome: {kind if kind == 'ok' else fields}")
    contents = [call.messages[-1]["content"] for call in calls]
    event(f"LM requests: {min(len(calls), 6)}{'+' if len(calls) > 6 else ''}")
    if any("Outputs will be a JSON object" in call.messages[0]["content"] for call in calls):
        event("a JSON request (adapter or retry)")
    if kind == "ok":
        trajectory = fields["trajectory"]
        event(f"steps kept: {len(trajectory) // 4}")
        if trajectory and not any(k.endswith("_0") for k in trajectory):
            event("trajectory truncated")
        observations = [v for k, v in trajectory.items() if k.startswith("observation_")]
        if any(isinstance(v, str) and v.startswith("Execution error in ") for v in observations):
            event("a tool error observation")
        if any(not isinstance(v, str) for v in observations):
            event("a non-text observation")
    if any(c.count("[[ ## thought_") for c in contents):
        event("a request with a trajectory")


def assert_same_run(native: tuple, reference: tuple) -> None:
    (n_out, n_calls), (d_out, d_calls) = native, reference
    _events(d_out, d_calls)
    assert len(n_calls) == len(d_calls), (n_out, d_out, len(n_calls), len(d_calls))
    for index, (mine, theirs) in enumerate(zip(normalized_messages(n_calls), normalized_messages(d_calls))):
        assert mine == theirs, f"request {index + 1} differs"
    for mine, theirs in zip(n_calls, d_calls):
        assert mine.settings == theirs.settings
    assert comparable(n_out) == comparable(d_out)
