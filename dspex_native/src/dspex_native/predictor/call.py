"""One predictor call: ask the LM, parse the reply, and retry once in JSON when it cannot be parsed.

This is DSPy's ``ChatAdapter`` loop: a chat reply that cannot be parsed is asked again in
DSPy's JSON format (a JSON-adapter call is not retried). Every LM, a ``dspex.LM`` description or
a custom object, is called through its client (:func:`dspex_native.lm.get_client`), so usage is
counted alike. A parse failure is an :class:`~dspex_core.AdapterParseError` carrying the raw
reply and how many LM calls were made.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core import callbacks
from dspex_core.backend import Prediction
from dspex_core.errors import AdapterParseError, InputError

from dspex_native.lm import get_client
from dspex_native.predictor.options import lm_problem
from dspex_native.predictor.request import fallback_request, prepare
from dspex_native.predictor.state import PredictState
from dspex_native.predictor.trace import OBSERVER, aobserved, observed


def _predicted(fmt: Any, outputs: list) -> Prediction:
    """The prediction of the LM's completions: one (the common case, first), or all ``n``."""
    if len(outputs) == 1 and type(outputs[0]) is str and outputs[0]:
        return Prediction(fmt.parse(outputs[0]))
    values = []
    whole = getattr(fmt, "reads_tool_calls", False)  # native function calling reads the reply's tool_calls
    for output in outputs:
        logprobs = output.get("logprobs") if isinstance(output, dict) else None
        if isinstance(output, dict) and not whole:
            output = output.get("text")
        if not output:
            raise fmt.error(str(output), "The LM returned an empty or null response.")
        value = fmt.parse(output)
        if logprobs:  # asked for (logprobs=True): the completion's, as DSPy's _call_postprocess adds them
            value["logprobs"] = logprobs
        values.append(value)
    return Prediction(values[0]) if len(values) == 1 else Prediction.from_completions(values)


def _failed(error: AdapterParseError, calls: int) -> AdapterParseError:
    error.lm_calls = calls
    return error


_callbacks_active = callbacks.active  # bound once: this check is on every call's path


def _client(lm: Any, state: PredictState) -> Any:
    try:
        return get_client(lm)
    except InputError:
        problem = lm_problem(lm, state.module_type)  # not an LM at all: say so as create does
        if problem is None:
            raise
        raise problem from None


def _with_callbacks(state: PredictState, inputs: Mapping[str, Any], options: dict[str, Any]) -> Prediction:
    from dspex_native.predictor import callbacks as observed_call

    return observed_call.execute(state, inputs, options, callbacks.active(), _client, _failed)


async def _awith_callbacks(state: PredictState, inputs: Mapping[str, Any], options: dict[str, Any]) -> Prediction:
    from dspex_native.predictor import callbacks as observed_call

    return await observed_call.aexecute(state, inputs, options, callbacks.active(), _client, _failed)


def execute(state: PredictState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
    """Run the module once (sync)."""
    if _callbacks_active():  # DSPy's callbacks, fired where DSPy fires them (predictor.callbacks)
        if OBSERVER.get() is not None:
            return observed(_with_callbacks, state, inputs, options)
        return _with_callbacks(state, inputs, options)
    if OBSERVER.get() is not None:  # inside a reward loop: DSPy's trace and hint (see predictor.trace)
        return observed(_execute, state, inputs, options)
    return _execute(state, inputs, options)


def _execute(state: PredictState, inputs: Mapping[str, Any], options: dict[str, Any]) -> Prediction:
    lm, settings, messages, demos, fmt, inputs = prepare(state, inputs, options)
    try:
        client = get_client(lm)
    except InputError:
        problem = lm_problem(lm, state.module_type)  # not an LM at all: say so as create does
        if problem is None:
            raise
        raise problem from None
    outputs = client(messages, **settings)
    try:
        return _predicted(fmt, outputs)
    except AdapterParseError as error:
        if fmt.adapter_name == "JSONAdapter":
            raise _failed(error, 1) from None
    fmt, messages = fallback_request(state, lm, settings, inputs, demos)
    outputs = client(messages, **settings)
    try:
        return _predicted(fmt, outputs)
    except AdapterParseError as error:
        raise _failed(error, 2) from None


def render(state: PredictState, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
    """The request :func:`execute` would send first, without calling the LM (``ref.render``): the
    same preparation, handed to the LM's client to say what it would send."""
    lm, settings, messages, _, _, _ = prepare(state, inputs, options)
    try:
        client = get_client(lm)
    except InputError:
        problem = lm_problem(lm, state.module_type)
        if problem is None:
            raise
        raise problem from None
    return client.render(messages, **settings)


async def aexecute(state: PredictState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
    """Run the module once (async): the client's ``acall``."""
    if callbacks.active():
        if OBSERVER.get() is not None:
            return await aobserved(_awith_callbacks, state, inputs, options)
        return await _awith_callbacks(state, inputs, options)
    if OBSERVER.get() is not None:  # inside a reward loop: DSPy's trace and hint (see predictor.trace)
        return await aobserved(_aexecute, state, inputs, options)
    return await _aexecute(state, inputs, options)


async def _aexecute(state: PredictState, inputs: Mapping[str, Any], options: dict[str, Any]) -> Prediction:
    lm, settings, messages, demos, fmt, inputs = prepare(state, inputs, options)
    try:
        client = get_client(lm)
    except InputError:
        problem = lm_problem(lm, state.module_type)  # not an LM at all: say so as create does
        if problem is None:
            raise
        raise problem from None
    outputs = await client.acall(messages, **settings)
    try:
        return _predicted(fmt, outputs)
    except AdapterParseError as error:
        if fmt.adapter_name == "JSONAdapter":
            raise _failed(error, 1) from None
    fmt, messages = fallback_request(state, lm, settings, inputs, demos)
    outputs = await client.acall(messages, **settings)
    try:
        return _predicted(fmt, outputs)
    except AdapterParseError as error:
        raise _failed(error, 2) from None


def parse(state: PredictState, completion: str, **options: Any) -> dict[str, Any]:
    """The output values this module's adapter reads from one completion (``ref.parse``): the
    parser a call reads the reply with (the adapter chosen as a call chooses it), no LM called and
    no retry in JSON format (DSPy's ``Adapter.parse``). ``AdapterParseError`` when it cannot read it."""
    if options:
        raise InputError(f"{state.module_type}: parse() takes no options, got {sorted(options)}")
    from dspex_native.adapters import ADAPTERS, get_format
    from dspex_native.predictor.options import adapter_not_built

    fmt = state.format
    if state.adapter == "auto":
        from dspex_core.config import settings as current_settings

        adapter = current_settings().adapter or "chat"
        if adapter not in ADAPTERS:
            raise adapter_not_built(state.module_type, adapter, f" (dspex.settings().adapter is {adapter!r})")
        if adapter != "chat":
            fmt = get_format(state.signature, adapter)
    return dict(fmt.parse(completion))
