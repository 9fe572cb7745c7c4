"""``predict`` with DSPy's semantics: a backend that asks the LM itself, through the public API.

What a backend does on its own here, as any third-party ``predict`` would:

* read its options with the core's rules (``dspex_core.backend.settings_rules`` for LM settings,
  ``input_rules`` for a call's inputs), so a mistake is the same ``InputError`` as everywhere;
* find the LM of a call the way every backend does: the call's ``lm=``, else the module's, else
  ``dspex_core.settings().lm``;
* talk to it through the LM protocol: ``client(messages, **settings) -> list[str]`` (and
  ``await client.acall(...)``), then parse the reply, and ask once more in DSPy's JSON format when
  a chat reply cannot be parsed (DSPy's ChatAdapter fallback).

What it builds on instead of writing again: DSPy's prompt format (the ChatAdapter/JSONAdapter
messages, byte for byte, and their parsing and type coercion) and an LM client that speaks
OpenAI-compatible HTTP for a ``dspex.LM`` description. Both are dspex-native's published
library API (``dspex_native.adapters``, ``dspex_native.lm.get_client``): the core ships no prompt
format (it would be a second copy of ~2,000 lines every release must keep byte-identical to
DSPy), so a backend that wants DSPy's prompts depends on dspex-native, as this one does. They are
imported when a module is created, so the plugin loads (and serves ``metrics``) without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dspex_core import AdapterParseError, CapabilityError, InputError, Prediction, settings
from dspex_core.backend import LM, Signature, demo_dicts, input_rules, is_custom_lm, settings_rules

#: LM settings taken as create options (the module's config, as DSPy's ``Predict(**config)``): the
#: ones docs/module-types.md lists for ``predict``; others go in ``config={...}``.
LM_SETTINGS = settings_rules.PREDICTOR_SETTINGS
CREATE_OPTIONS = frozenset({"lm", "demos", "instructions", "adapter", "config"})
CALL_OPTIONS = frozenset({"lm", "config", "demos"})
ADAPTERS = ("chat", "json")


def _library() -> tuple[Any, Any]:
    """dspex-native's format and LM client, or why this backend cannot serve ``predict`` here."""
    try:
        from dspex_native import adapters
        from dspex_native.lm import get_client
    except ImportError:
        raise CapabilityError("the example backend's predict builds on dspex-native's DSPy format: "
                              "pip install dspex-native") from None
    return adapters, get_client


class _State:
    """A created module: its signature, demos (as dicts), config, LM and adapter."""

    __slots__ = ("signature", "demos", "config", "lm", "adapter")

    def __init__(self, signature: Signature, demos: list[dict[str, Any]], config: dict[str, Any], lm: Any,
                 adapter: str | None):
        self.signature, self.demos, self.config, self.lm, self.adapter = signature, demos, config, lm, adapter


def _check_lm(lm: Any) -> Any:
    if lm is None or isinstance(lm, LM) or is_custom_lm(lm):
        return lm
    raise InputError(f"predict: lm must be a dspex.LM or an object implementing the LM protocol, "
                     f"got {type(lm).__name__}")


class ExamplePredict:
    """The ``predict`` module type: ``create(signature, **options)``, ``execute(state, inputs, **options)``."""

    #: what ``dspex backends`` lists as not built yet (each raises CapabilityError)
    not_implemented = ("adapter='xml' (DSPy's XMLAdapter)", "predict without dspex-native installed")

    def create(self, spec: Any = None, **options: Any) -> _State:
        adapters, _ = _library()
        config: dict[str, Any] = {}
        for key in [k for k in options if k not in CREATE_OPTIONS]:
            if key not in LM_SETTINGS:
                raise InputError(f"predict: unknown option {key!r}; accepted: {', '.join(sorted(CREATE_OPTIONS))} "
                                 f"and LM settings ({', '.join(sorted(LM_SETTINGS))})")
            config[key] = options.pop(key)
        if options.get("config") is not None:
            config.update(settings_rules.check_settings("predict", options["config"]))
        settings_rules.check_settings("predict", config)
        if spec is None:
            raise InputError("predict needs a signature such as 'question -> answer'")
        signature = Signature.coerce(spec)
        instructions = options.get("instructions")
        if instructions is not None:
            if not isinstance(instructions, str):
                raise InputError("predict: instructions must be a string")
            signature = signature.with_instructions(instructions)
        adapter = options.get("adapter")
        if adapter == "xml":  # a real DSPy adapter this backend lacks: CapabilityError, so the router may fall back
            raise CapabilityError("predict: the example backend does not implement DSPy's XMLAdapter (it has chat, json)")
        if adapter is not None and adapter not in ADAPTERS:
            raise InputError(f"predict: adapter must be one of {', '.join(ADAPTERS)}, got {adapter!r}")
        demos = demo_dicts(options.get("demos"), "predict")
        state = _State(signature, demos, config, _check_lm(options.get("lm")), adapter)
        adapters.get_format(signature, adapter or "chat").demo_messages(state.demos)  # a demo it cannot show fails now
        return state

    async def acreate(self, spec: Any = None, **options: Any) -> _State:
        return self.create(spec, **options)

    def _request(self, state: _State, inputs: Any, options: dict[str, Any]) -> tuple:
        """``(client, settings, format, messages, demos, inputs)`` of one call (DSPy's ``Predict``)."""
        adapters, get_client = _library()
        unknown = sorted(set(options) - CALL_OPTIONS)
        if unknown:
            raise InputError(f"predict: unknown call option(s) {unknown}; accepted: {', '.join(sorted(CALL_OPTIONS))}")
        if not isinstance(inputs, Mapping):
            raise InputError(f"predict: inputs must be a mapping of field names to values, got {type(inputs).__name__}")
        adapter = state.adapter or settings().adapter or "chat"
        if adapter not in ADAPTERS:
            raise CapabilityError(f"predict: the example backend has the chat and json adapters, not {adapter!r}")
        fmt = adapters.get_format(state.signature, adapter)
        if inputs.keys() != fmt.input_set:
            inputs = input_rules.check_inputs("predict", fmt.input_set, inputs, required=fmt.required_inputs)
        lm = _check_lm(options.get("lm")) or state.lm or settings().lm  # the call's, the module's, the configured
        if lm is None:
            raise InputError("no LM for this predict call: dspex.configure(lm=dspex.LM('openai/gpt-4o-mini')), "
                             "create(..., lm=...) or lm= on the call")
        request = dict(state.config)
        if options.get("config"):
            request.update(settings_rules.check_settings("predict", options["config"]))
        defaults = lm.settings if isinstance(lm, LM) else {}
        temperature = request.get("temperature") or defaults.get("temperature")
        if (temperature is None or temperature <= 0.15) and (request.get("n") or defaults.get("n") or 1) > 1:
            request["temperature"] = 0.7  # DSPy's rule: several completions need some temperature
        demos = state.demos if options.get("demos") is None else demo_dicts(options["demos"], "predict")
        if adapter == "json":
            extra = adapters.response_format(lm, fmt)
            if extra is not None:
                request["response_format"] = extra
        return get_client(lm), request, fmt, self._messages(fmt, demos, inputs), demos, inputs

    @staticmethod
    def _messages(fmt: Any, demos: list[dict[str, Any]], inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{"role": "system", "content": fmt.system}, *map(dict, fmt.demo_messages(demos)),
                {"role": "user", "content": fmt.user_message(inputs)}]

    @staticmethod
    def _parsed(fmt: Any, outputs: list[Any]) -> Prediction:
        values = []
        for output in outputs:
            if not output:
                raise fmt.error(str(output), "The LM returned an empty or null response.")
            values.append(fmt.parse(output))
        return Prediction(values[0]) if len(values) == 1 else Prediction.from_completions(values)

    def _fallback(self, state: _State, lm_request: dict[str, Any], inputs: Mapping[str, Any],
                  demos: list[dict[str, Any]], lm: Any) -> tuple[Any, list[dict[str, Any]]]:
        """DSPy's second try after a chat reply it cannot parse: the same request in JSON format."""
        adapters, _ = _library()
        fmt = adapters.json_format(state.signature)
        extra = adapters.response_format(lm, fmt)
        if extra is not None:
            lm_request["response_format"] = extra
        return fmt, self._messages(fmt, demos, inputs)

    def execute(self, state: _State, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        client, request, fmt, messages, demos, inputs = self._request(state, inputs, options)
        try:
            return self._parsed(fmt, client(messages, **request))
        except AdapterParseError as error:
            if fmt.adapter_name == "JSONAdapter":
                error.lm_calls = 1
                raise
        fmt, messages = self._fallback(state, request, inputs, demos, client.lm)
        try:
            return self._parsed(fmt, client(messages, **request))
        except AdapterParseError as error:
            error.lm_calls = 2
            raise error from None

    async def aexecute(self, state: _State, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        client, request, fmt, messages, demos, inputs = self._request(state, inputs, options)
        try:
            return self._parsed(fmt, await client.acall(messages, **request))
        except AdapterParseError as error:
            if fmt.adapter_name == "JSONAdapter":
                error.lm_calls = 1
                raise
        fmt, messages = self._fallback(state, request, inputs, demos, client.lm)
        try:
            return self._parsed(fmt, await client.acall(messages, **request))
        except AdapterParseError as error:
            error.lm_calls = 2
            raise error from None

    def describe(self, state: _State) -> dict[str, Any]:
        return {"inputs": list(state.signature.input_fields), "outputs": list(state.signature.output_fields)}
