"""A predictor call with DSPy's callbacks fired, at the points and in the order DSPy fires them.

``dspy.Predict.__call__`` fires ``on_module_start``; its adapter fires ``on_adapter_format_*``
around ``format``, the LM ``on_lm_*`` around its call, the adapter ``on_adapter_parse_*`` around
each completion's ``parse``; a chat reply that cannot be parsed starts again in JSON (format, LM,
parse); then ``on_module_end``. ``dspy.ChainOfThought`` is a module around a ``Predict``, so its
call fires two module starts (ChainOfThought's, then Predict's) and two ends.

The core's ``execute`` fires the module events of the module the user called (``instance`` is
its :class:`~dspex_core.ModuleRef`); this module fires the rest: the inner ``Predict`` of a
chain_of_thought, and a predictor's own module events when another module calls it (ReAct's
steps; ``instance`` is then the predictor's native state, a ``PredictState``). The adapter's
``instance`` is the native format object (``format.adapter_name`` says ``ChatAdapter`` or
``JSONAdapter``), the LM's is the ``dspex.LM`` (or custom LM object) called.

Only called when callbacks are configured: the plain path (:mod:`.call`) checks once and never
comes here otherwise.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Mapping

from dspex_core.backend import Prediction
from dspex_core.callbacks import ACTIVE_MODULE, Events, ModuleEvents, hears, lm_inputs
from dspex_core.errors import AdapterParseError

from dspex_native.predictor.request import fallback_request, prepare
from dspex_native.predictor.state import PredictState


class _OwnEvents:
    """The module events this predictor fires itself (none, one or two), entered in order;
    :meth:`done` hands them the prediction their end events report. (A plain class, not an
    ``ExitStack``: the usual case, a module the user called, has none, and costs nothing.)"""

    __slots__ = ("modules",)

    def __init__(self, state: PredictState, found: tuple, inputs: Mapping[str, Any]):
        modules: list[ModuleEvents] = []
        called_by_user = getattr(ACTIVE_MODULE.get(), "state", None) is state
        if not called_by_user:
            modules.append(ModuleEvents(found, state, inputs))
        if state.module_type == "chain_of_thought":  # ChainOfThought's inner Predict
            modules.append(ModuleEvents(found, state, inputs))
        self.modules = modules

    def __enter__(self) -> "_OwnEvents":
        entered = 0
        try:
            for events in self.modules:
                events.__enter__()
                entered += 1
        except BaseException as exc:
            for events in reversed(self.modules[:entered]):
                events.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        for events in reversed(self.modules):
            events.__exit__(kind, exc, tb)

    def done(self, pred: Prediction) -> Prediction:
        for events in self.modules:
            events.outputs = pred
        return pred


class _Unheard:
    """Stands for an adapter event pair no callback handles (``hears``): nothing is built or fired."""

    __slots__ = ("outputs",)

    def __enter__(self) -> "_Unheard":
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        return None


def _formatting(found: tuple, state: PredictState, inputs: Mapping[str, Any], options: Mapping[str, Any]) -> Any:
    """The ``adapter_format`` event pair of a request (its ``inputs`` built only when heard)."""
    if hears(found, "adapter_format"):
        return Events("adapter_format", found, state, _format_inputs(state, inputs, options))
    return _Unheard()


def _format_inputs(state: PredictState, inputs: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    demos = options.get("demos")
    return {"signature": state.signature, "demos": list(state.demos if demos is None else demos),
            "inputs": dict(inputs)}


def _parsed(found: tuple, fmt: Any, signature: Any, outputs: list) -> Prediction:
    """:func:`.call._predicted` with a parse event pair per completion."""
    values = []
    whole = getattr(fmt, "reads_tool_calls", False)  # native function calling reads the reply's tool_calls
    heard = hears(found, "adapter_parse")
    for output in outputs:
        logprobs = output.get("logprobs") if isinstance(output, dict) else None
        if isinstance(output, dict) and not whole:
            output = output.get("text")
        with (Events("adapter_parse", found, fmt, {"signature": signature, "completion": output}) if heard
              else _Unheard()) as events:
            if not output:
                raise fmt.error(str(output), "The LM returned an empty or null response.")
            events.outputs = fmt.parse(output)
        value = events.outputs
        if logprobs:  # added after the parse event, as DSPy's _call_postprocess adds them
            value = {**value, "logprobs": logprobs}
        values.append(value)
    return Prediction(values[0]) if len(values) == 1 else Prediction.from_completions(values)


@contextlib.contextmanager
def _json_formatting(found: tuple, state: PredictState, inputs: Mapping[str, Any],
                     options: Mapping[str, Any]) -> Iterator[Events]:
    """dspy's ``JSONAdapter.format`` is wrapped twice (its own and ``ChatAdapter``'s, which it calls):
    two format event pairs, the outer one with the arguments as dspy passes them, positionally."""
    named = _format_inputs(state, inputs, options)
    outer = {"args": (named["signature"], named["demos"], named["inputs"]), "kwargs": {}}
    with Events("adapter_format", found, state, outer) as wrapping:
        with Events("adapter_format", found, state, named) as events:
            yield events
        wrapping.outputs = events.outputs


def execute(state: PredictState, inputs: Mapping[str, Any], options: dict[str, Any], found: tuple,
            get_client: Any, failed: Any) -> Prediction:
    """The predictor's call (sync), its callbacks fired; ``get_client``/``failed`` are :mod:`.call`'s."""
    with _OwnEvents(state, found, inputs) as own:
        with _formatting(found, state, inputs, options) as events:
            lm, settings, messages, demos, fmt, inputs = prepare(state, inputs, options)
            events.outputs = messages
        client = get_client(lm, state)
        with Events("lm", found, lm, lm_inputs(messages, settings)) as events:
            events.outputs = outputs = client(messages, **settings)
        try:
            return own.done(_parsed(found, fmt, state.signature, outputs))
        except AdapterParseError as error:
            if fmt.adapter_name == "JSONAdapter":
                raise failed(error, 1) from None
        with _json_formatting(found, state, inputs, options) as events:
            fmt, messages = fallback_request(state, lm, settings, inputs, demos)
            events.outputs = messages
        with Events("lm", found, lm, lm_inputs(messages, settings)) as events:
            events.outputs = outputs = client(messages, **settings)
        try:
            return own.done(_parsed(found, fmt, state.signature, outputs))
        except AdapterParseError as error:
            raise failed(error, 2) from None


async def aexecute(state: PredictState, inputs: Mapping[str, Any], options: dict[str, Any], found: tuple,
                   get_client: Any, failed: Any) -> Prediction:
    """The async twin of :func:`execute` (the client's ``acall``)."""
    with _OwnEvents(state, found, inputs) as own:
        with _formatting(found, state, inputs, options) as events:
            lm, settings, messages, demos, fmt, inputs = prepare(state, inputs, options)
            events.outputs = messages
        client = get_client(lm, state)
        with Events("lm", found, lm, lm_inputs(messages, settings)) as events:
            events.outputs = outputs = await client.acall(messages, **settings)
        try:
            return own.done(_parsed(found, fmt, state.signature, outputs))
        except AdapterParseError as error:
            if fmt.adapter_name == "JSONAdapter":
                raise failed(error, 1) from None
        with _json_formatting(found, state, inputs, options) as events:
            fmt, messages = fallback_request(state, lm, settings, inputs, demos)
            events.outputs = messages
        with Events("lm", found, lm, lm_inputs(messages, settings)) as events:
            events.outputs = outputs = await client.acall(messages, **settings)
        try:
            return own.done(_parsed(found, fmt, state.signature, outputs))
        except AdapterParseError as error:
            raise failed(error, 2) from None
