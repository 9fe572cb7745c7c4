"""DSPy's trace and ``Refine``'s hint, for the predictor calls made inside a reward loop
(and ``ref.render``'s capture of a module's first predictor call).

DSPy's ``Refine`` needs two things from every ``Predict`` call its wrapped module makes:

* the **trace** (``dspy.settings.trace``): each call's predictor, inputs and prediction, from
  which it shows the LM the program's trajectory when asking for advice;
* the **hint**: once it has advice, it runs the module under a wrapper adapter that adds an
  input field ``hint_`` ("A hint to the module from an earlier run") to every predictor's
  signature, valued with that predictor's advice.

Native predictor calls (:mod:`dspex_native.predictor.call`) look up one context variable; when a
reward loop has set an :class:`Observer` there, the call goes through :func:`observed` (or
:func:`aobserved`), which applies the hint and records the call, as DSPy's adapter and
``Predict._forward_postprocess`` do. Outside reward loops the variable is unset and a call
costs one look-up more. The context variable follows asyncio tasks and worker threads started
with ``asyncio.to_thread`` (``contextvars.copy_context``), as DSPy's settings context does.
"""

from __future__ import annotations

import contextvars
from typing import Any, Callable, Mapping

from dspex_core.backend import InputField, LRUCache, Signature, cleandoc

from dspex_native.predictor.state import PredictState

#: The input field DSPy's ``Refine`` adds to every predictor once it has advice, and its description.
HINT_FIELD = "hint_"
HINT_DESCRIPTION = "A hint to the module from an earlier run"


class Observer:
    """What a reward loop asks of the predictor calls inside it: where to record them (``trace``,
    a list of ``(predictor state, inputs, prediction)``, or ``None``) and which hint to add
    (``hint``: a predictor state -> its hint text, or ``None``). ``capture`` (``ref.render``'s,
    :mod:`dspex_native.predictor.rendering`) is called with each call's state, inputs and
    options before the call is made, and stops it by raising."""

    __slots__ = ("trace", "hint", "capture")

    def __init__(self, trace: list | None, hint: Callable[[PredictState], Any] | None,
                 capture: Callable[[PredictState, Mapping[str, Any], dict], None] | None = None):
        self.trace = trace
        self.hint = hint
        self.capture = capture


OBSERVER: contextvars.ContextVar[Observer | None] = contextvars.ContextVar("dspex_native_observer", default=None)


class _Observing:
    """A ``with`` block under another :class:`Observer` (a class, not a generator: a loop enters
    two per attempt)."""

    __slots__ = ("observer", "token")

    def __init__(self, observer: Observer):
        self.observer = observer
        self.token: Any = None

    def __enter__(self) -> Observer:
        self.token = OBSERVER.set(self.observer)
        return self.observer

    def __exit__(self, *exc: Any) -> None:
        OBSERVER.reset(self.token)


def tracing() -> _Observing:
    """Record the predictor calls inside in a new trace (DSPy's ``dspy.context(trace=[])``): the
    ``with`` block gives the :class:`Observer`, whose ``trace`` list fills; an enclosing hint still
    applies, as DSPy's adapter setting is left alone."""
    outer = OBSERVER.get()
    if outer is None:
        return _Observing(Observer([], None))
    return _Observing(Observer([], outer.hint, outer.capture))


def hinting(hint: Callable[[PredictState], Any]) -> _Observing:
    """Add ``hint_`` (``hint(predictor state)``) to every predictor call inside (DSPy's
    ``dspy.context(adapter=WrapperAdapter())``); calls are still recorded in the current trace."""
    outer = OBSERVER.get()
    if outer is None:
        return _Observing(Observer(None, hint))
    return _Observing(Observer(outer.trace, hint, outer.capture))


def enclosing_trace() -> list | None:
    """The trace the calls made here are recorded in, if any (a reward loop adds its best
    attempt's calls to it when it ends, as DSPy extends ``dspy.settings.trace``)."""
    observer = OBSERVER.get()
    return observer.trace if observer is not None else None


class Copied:
    """A trace entry's predictor as seen outside the loop that made the call.

    DSPy's reward loops run a deep copy of their module, so the predictors in the trace they pass
    on are copies that no enclosing module names: an enclosing ``Refine`` that looks them up
    fails (a ``KeyError``). ``Copied`` keeps that: it is equal to nothing but itself.
    """

    __slots__ = ("state",)

    def __init__(self, state: Any):
        self.state = state

    def __repr__(self) -> str:
        state = self.state
        signature = getattr(state, "signature", None)
        return f"Predict({signature.signature})" if signature is not None else f"Copied({state!r})"


def copied(entries: list) -> list:
    """``entries`` with each predictor replaced by its :class:`Copied` (see there)."""
    return [(Copied(state), inputs, prediction) for state, inputs, prediction in entries]


#: id(state) -> (state, the same predictor with ``hint_`` appended); the state is kept so that a
#: reused id is told from a hit.
_hinted: LRUCache[int, tuple[PredictState, PredictState]] = LRUCache(256)


def hinted_state(state: PredictState) -> PredictState:
    """``state`` with DSPy's ``hint_`` input field appended to its signature (demos, config, LM and
    adapter unchanged: the demos, which have no hint, then render as incomplete, as in DSPy)."""
    known = _hinted.get(id(state))
    if known is not None and known[0] is state:
        return known[1]
    signature = state.signature.append(HINT_FIELD, InputField(desc=HINT_DESCRIPTION))
    cleaned = cleandoc(state.signature.instructions)  # DSPy passes its instructions on as it reads them
    if cleaned:  # DSPy keeps them, even its default sentence of the other fields
        signature = signature.with_instructions(cleaned)
    else:  # DSPy passes the (cleaned, empty) instructions on: its default for the new fields
        signature = Signature.from_fields(signature.input_fields, signature.output_fields, None)
    hinted = PredictState(state.module_type, signature, state.demos, state.config, state.lm, state.adapter,
                          adapter_options=state.adapter_options)
    return _hinted.put(id(state), (state, hinted))[1]


def _prepared(observer: Observer, state: PredictState, inputs: Mapping[str, Any]) -> tuple:
    hint = observer.hint
    if hint is None:
        return state, inputs
    return hinted_state(state), {**inputs, HINT_FIELD: hint(state)}


def _record(observer: Observer, state: PredictState, inputs: Mapping[str, Any], prediction: Any) -> None:
    if observer.trace is None:
        return
    predicted = inputs.get("prediction")
    if type(predicted) is dict and predicted.get("type") == "content" and "content" in predicted:
        # OpenAI's predicted outputs go to the request, not the inputs DSPy records.
        inputs = {k: v for k, v in inputs.items() if k != "prediction"}
    observer.trace.append((state, dict(inputs), prediction))


def observed(run: Callable[..., Any], state: PredictState, inputs: Mapping[str, Any], options: dict) -> Any:
    """``run(state, inputs, options)`` with the current observer's hint applied and the call recorded."""
    observer = OBSERVER.get()
    call_state, inputs = _prepared(observer, state, inputs)
    if observer.capture is not None:
        observer.capture(call_state, inputs, options)
    prediction = run(call_state, inputs, options)
    _record(observer, state, inputs, prediction)
    return prediction


async def aobserved(run: Callable[..., Any], state: PredictState, inputs: Mapping[str, Any], options: dict) -> Any:
    """The async twin of :func:`observed` (``run`` is a coroutine function)."""
    observer = OBSERVER.get()
    call_state, inputs = _prepared(observer, state, inputs)
    if observer.capture is not None:
        observer.capture(call_state, inputs, options)
    prediction = await run(call_state, inputs, options)
    _record(observer, state, inputs, prediction)
    return prediction
