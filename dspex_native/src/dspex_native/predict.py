"""The native ``predict`` module type: DSPy's ``Predict`` with DSPy-identical prompts.

``create`` resolves the signature, checks the options and precomputes the prompt parts (the
system message and the demos' messages, per adapter); ``execute`` renders the user message,
calls the LM, parses the reply and, when a chat reply cannot be parsed, retries once in
DSPy's JSON format, as ``dspy.ChatAdapter`` does. The LM settings sent are exactly those
DSPy's ``Predict`` would send for the same module configuration.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core._example import Prediction
from dspex_core._lm import LM
from dspex_core._signature import Signature
from dspex_core.config import settings as _settings
from dspex_core.errors import AdapterParseError, InputError

from dspex_native import _not_implemented
from dspex_native.adapters import ADAPTERS, json_format, response_format

from dspex_native._predict_state import (
    CREATE_OPTIONS,
    EXECUTE_OPTIONS,
    LM_SETTINGS,
    PredictState,
    _check_lm,
    _demo_list,
    adapter_not_built,
    build_state,
    resolve_signature,
    split_options,
)

__all__ = ["predict", "PredictImplementation", "PredictState", "execute", "aexecute", "load_state",
           "CREATE_OPTIONS", "EXECUTE_OPTIONS", "LM_SETTINGS", "build_state", "resolve_signature", "split_options"]

_NOT_SENT = ("tools", "tool_choice", "parallel_tool_calls")  # dropped by DSPy's ChatAdapter without native tools
_CONFIGURE_HINT = ("configure an LM: dspex.configure(lm=dspex.LM('openai/gpt-4o-mini')), pass lm= to create(), "
                   "or pass lm= to this call")


# -- execute ------------------------------------------------------------------------------------

def _request_settings(state: PredictState, lm: Any, config: Any) -> dict[str, Any]:
    """DSPy's ``Predict._forward_preprocess`` settings, including its n/temperature rule."""
    if config:
        if not isinstance(config, Mapping):
            raise InputError(f"{state.module_type}: config must be a dict of LM settings")
        settings = {**state.config, **config}
    elif state.config:
        settings = dict(state.config)
    else:
        settings = {}
    if isinstance(lm, LM):
        defaults = lm.settings
    elif not settings:
        return settings  # a custom LM has no defaults: nothing to add or drop
    else:
        defaults = {}
    temperature = settings.get("temperature") or defaults.get("temperature")
    n = settings.get("n") or defaults.get("n") or defaults.get("num_generations") or 1
    if (temperature is None or temperature <= 0.15) and n > 1:
        settings["temperature"] = 0.7
    for key in _NOT_SENT:
        settings.pop(key, None)
    return settings


def _client(lm: Any, module_type: str = "predict") -> Any:
    """What to call: a custom LM object itself, or the native HTTP client of a description."""
    if not isinstance(lm, LM):
        if callable(lm):
            return lm
        _check_lm(lm, module_type)  # raises the InputError that says what an LM must be
    try:
        from dspex_native.lm import get_client
    except ImportError as exc:  # pragma: no cover - the LM client ships with dspex-native
        from dspex_core.errors import CapabilityError

        raise CapabilityError(f"the native LM client is not available: {exc}") from None
    return get_client(lm)


def _prepare(state: PredictState, inputs: Any, options: dict[str, Any]) -> tuple:
    for key in options:
        if key not in EXECUTE_OPTIONS:
            unknown = sorted(set(options) - EXECUTE_OPTIONS)
            raise InputError(f"{state.module_type}: unknown call option(s) {unknown}; "
                             f"accepted: {', '.join(sorted(EXECUTE_OPTIONS))}")
    if type(inputs) is not dict and not isinstance(inputs, Mapping):
        raise InputError(f"{state.module_type}: inputs must be a mapping of field names to values, "
                         f"got {type(inputs).__name__}")
    lm = options.get("lm")
    if lm is None:
        lm = state.lm
    current = None
    if lm is None:
        current = _settings()
        lm = current.lm
        if lm is None:
            raise InputError(f"no LM for this {state.module_type} call; {_CONFIGURE_HINT}")
    settings = _request_settings(state, lm, options.get("config"))
    if "prediction" in inputs:
        predicted = inputs["prediction"]
        if type(predicted) is dict and predicted.get("type") == "content" and "content" in predicted:
            # OpenAI's predicted outputs: DSPy moves them from the inputs to the request.
            settings["prediction"] = predicted
            inputs = {k: v for k, v in inputs.items() if k != "prediction"}
    fmt = state.format
    adapter = state.adapter
    if adapter == "auto":
        adapter = (current or _settings()).adapter or "chat"
        if adapter not in ADAPTERS:
            raise adapter_not_built(state.module_type, adapter, f" (dspex.settings().adapter is {adapter!r})")
        if adapter == "json":
            fmt = json_format(state.signature)
    demos = options.get("demos")
    if demos is None:
        demo_messages, demo_list = (state.json_demo_messages() if adapter == "json" else state.demo_messages), None
    else:
        demo_list = _demo_list(demos, state.module_type)
        demo_messages = fmt.demo_messages(demo_list)
    if adapter == "json":
        extra = response_format(lm, fmt)  # DSPy's JSONAdapter asks for JSON when the model can
        if extra is not None:
            settings["response_format"] = extra
    messages = [{"role": "system", "content": fmt.system}]
    if demo_messages:
        messages.extend([dict(m) for m in demo_messages])  # fresh dicts: the LM may keep or change them
    messages.append({"role": "user", "content": fmt.user_message(inputs)})
    return lm, settings, messages, demo_list, fmt, inputs


def _fallback_request(state: PredictState, lm: Any, settings: dict, inputs: Mapping, demo_list: Any) -> tuple:
    fmt = json_format(state.signature)
    demo_messages = state.json_demo_messages() if demo_list is None else fmt.demo_messages(demo_list)
    messages = [{"role": "system", "content": fmt.system}]
    messages.extend(demo_messages)
    messages.append({"role": "user", "content": fmt.user_message(inputs)})
    extra = response_format(lm, fmt)
    if extra is not None:
        settings["response_format"] = extra
    return fmt, messages


def _parse_all(fmt: Any, outputs: Any) -> list[dict[str, Any]]:
    if isinstance(outputs, str):
        outputs = [outputs]  # a custom LM that returned one string rather than a list
    if len(outputs) == 1 and type(outputs[0]) is str and outputs[0]:
        return [fmt.parse(outputs[0])]
    values = []
    for output in outputs:
        if isinstance(output, dict):
            output = output.get("text")
        if not output:
            raise fmt.error(str(output), "The LM returned an empty or null response.")
        values.append(fmt.parse(output))
    return values


def _prediction(values: list[dict[str, Any]]) -> Prediction:
    if len(values) == 1:
        return Prediction(values[0])
    return Prediction.from_completions(values)


def _failed(error: AdapterParseError, calls: int) -> AdapterParseError:
    error.lm_calls = calls
    return error


def execute(state: PredictState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
    """Run the module once (sync)."""
    lm, settings, messages, demo_list, fmt, inputs = _prepare(state, inputs, options)
    client = _client(lm, state.module_type)
    outputs = client(messages, **settings)
    try:
        return _prediction(_parse_all(fmt, outputs))
    except AdapterParseError as error:
        if fmt.adapter_name == "JSONAdapter":
            raise _failed(error, 1) from None
    fmt, messages = _fallback_request(state, lm, settings, inputs, demo_list)
    outputs = client(messages, **settings)
    try:
        return _prediction(_parse_all(fmt, outputs))
    except AdapterParseError as error:
        raise _failed(error, 2) from None


async def _acall(client: Any, messages: list, settings: dict) -> Any:
    acall = getattr(client, "acall", None)
    if acall is not None:
        return await acall(messages, **settings)
    import asyncio
    import functools

    return await asyncio.to_thread(functools.partial(client, messages, **settings))


async def aexecute(state: PredictState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
    """Run the module once (async): the LM's ``acall`` when it has one, else a worker thread."""
    lm, settings, messages, demo_list, fmt, inputs = _prepare(state, inputs, options)
    client = _client(lm, state.module_type)
    outputs = await _acall(client, messages, settings)
    try:
        return _prediction(_parse_all(fmt, outputs))
    except AdapterParseError as error:
        if fmt.adapter_name == "JSONAdapter":
            raise _failed(error, 1) from None
    fmt, messages = _fallback_request(state, lm, settings, inputs, demo_list)
    outputs = await _acall(client, messages, settings)
    try:
        return _prediction(_parse_all(fmt, outputs))
    except AdapterParseError as error:
        raise _failed(error, 2) from None


# -- the implementation object the plugin registers ---------------------------------------------

class PredictImplementation:
    """``predict``: ``create(signature, **options) -> PredictState``, ``execute(state, inputs, **options)``."""

    module_type = "predict"
    not_implemented = _not_implemented.PREDICT

    def _signature(self, spec: Any, instructions: Any) -> Signature:
        return resolve_signature(spec, instructions, self.module_type)

    def create(self, spec: Any = None, **options: Any) -> PredictState:
        module_opts, config = split_options(self.module_type, options)
        signature = self._signature(spec, module_opts.get("instructions"))
        return build_state(self.module_type, signature, module_opts, config)

    async def acreate(self, spec: Any = None, **options: Any) -> PredictState:
        return self.create(spec, **options)

    def execute(self, state: PredictState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return execute(state, inputs, **options)

    async def aexecute(self, state: PredictState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return await aexecute(state, inputs, **options)

    def describe(self, state: PredictState) -> dict[str, Any]:
        from dspex_native._state_io import describe

        return describe(state)

    def save(self, state: PredictState, path: Any) -> None:
        from dspex_native._state_io import save

        save(state, path)

    def dump_state(self, state: PredictState) -> dict[str, Any]:
        """DSPy's ``dump_state()`` of the equivalent ``dspy.Predict`` / ``dspy.ChainOfThought``."""
        from dspex_native._state_io import dump_state

        return dump_state(state)

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> PredictState:
        """A module rebuilt from DSPy's saved state (demos, instructions, field prefixes/descriptions)."""
        from dspex_native._state_io import load_state

        return load_state(self.module_type, spec, state_dict, **options)


predict = PredictImplementation()


def load_state(spec: Any, state_dict: Mapping[str, Any], **options: Any) -> PredictState:
    """A native ``predict`` module for ``spec`` with a ``dspy.Predict``'s saved state applied."""
    return predict.load_state(spec, state_dict, **options)
