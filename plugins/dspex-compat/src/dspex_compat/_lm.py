"""DSPy's language models: ``BaseLM`` (the base of custom LMs such as ``DummyLM``) and ``LM``.

A ``dspy.LM("openai/gpt-4o-mini", ...)`` is handed to dspex as the ``dspex.LM`` with the same
arguments, so native's client sends what plain dspy sends. A ``BaseLM`` subclass (its
``forward`` returns an OpenAI-shaped response) is handed to dspex as a custom LM object
(:class:`CustomLMBridge`), so native calls it through ``__call__`` as dspy does, with the
history kept on the LM as dspy keeps it. Every call is also in dspex's process-wide history,
which ``dspy.inspect_history`` prints.

Calling a ``dspy.LM`` directly (``lm("Say hi")``, ``lm(messages=[...], temperature=0.3)``, RLM's
``llm_query``) is dspex's ``lm`` module type made for it: the same client, requests, cache, usage
and history as its predictors' calls, and DSPy's outputs and history entries.
"""

from __future__ import annotations

import copy as copy_module
import datetime
import os
from typing import Any, TextIO

import dspex_core

from dspex_compat._callback import with_callbacks
from dspex_compat._error_boundary import raise_as_dspy
from dspex_compat._settings import caller_modules, setting

__all__ = ["BaseLM", "LM", "GLOBAL_HISTORY", "inspect_history", "dspex_lm", "MAX_HISTORY_SIZE"]

MAX_HISTORY_SIZE = 10_000
#: The calls of the layer's custom LMs (``BaseLM`` subclasses), as DSPy's global list.
GLOBAL_HISTORY: list[dict[str, Any]] = []
LM_CLASS_STATE_KEY = "_dspy_lm_class"


def _uuid4() -> str:
    """``str(uuid.uuid4())`` from the same 16 random bytes, without building a ``UUID`` (a quarter
    of its cost; every LM call's history entry has one)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _value(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


class BaseLM:
    """The base of DSPy language models; a subclass implements ``forward(prompt, messages, **kwargs)``."""

    def __init__(self, model: str, model_type: str = "chat", temperature: float | None = None,
                 max_tokens: int | None = None, cache: bool = True, callbacks: list | None = None,
                 num_retries: int = 3, **kwargs: Any):
        self.model = model
        self.model_type = model_type
        self.cache = cache
        self.callbacks = list(callbacks or [])
        self.num_retries = num_retries
        self.kwargs = dict(temperature=temperature, max_tokens=max_tokens, **kwargs)
        self.history: list[dict[str, Any]] = []

    #: which callback handlers its wrapped methods fire (dspy.utils.callback's rule)
    _callback_kind = "lm"
    supports_function_calling = False
    supports_reasoning = False
    supports_response_schema = False

    @property
    def supported_params(self) -> set[str]:
        return set()

    @with_callbacks
    def __call__(self, prompt: str | None = None, *, messages: list[dict[str, Any]] | None = None,
                 **kwargs: Any) -> list[Any]:
        """The list of completions; a direct call fires the ``on_lm_start``/``on_lm_end`` handlers as
        DSPy's does (a predictor's calls go through :class:`CustomLMBridge`, and dspex fires theirs)."""
        return self._call(prompt, messages, kwargs)

    @with_callbacks
    async def acall(self, prompt: str | None = None, *, messages: list[dict[str, Any]] | None = None,
                    **kwargs: Any) -> list[Any]:
        return await self._acall(prompt, messages, kwargs)

    def _call(self, prompt: Any, messages: Any, kwargs: dict[str, Any]) -> list[Any]:
        """One call, the callback events aside: ``forward``, then the outputs and history entry."""
        given = messages  # the history keeps what the caller gave (None for a prompt), as DSPy's does
        if messages is None and prompt is not None:
            messages = [{"role": "user", "content": prompt}]
        response = self.forward(prompt=prompt, messages=messages, **kwargs)
        return self._record(response, prompt, given, kwargs)

    async def _acall(self, prompt: Any, messages: Any, kwargs: dict[str, Any]) -> list[Any]:
        given = messages
        if messages is None and prompt is not None:
            messages = [{"role": "user", "content": prompt}]
        response = await self.aforward(prompt=prompt, messages=messages, **kwargs)
        return self._record(response, prompt, given, kwargs)

    def forward(self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
        raise NotImplementedError("Subclasses must implement this method.")

    async def aforward(self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None,
                       **kwargs: Any) -> Any:
        return self.forward(prompt=prompt, messages=messages, **kwargs)

    def _record(self, response: Any, prompt: Any, messages: Any, kwargs: dict[str, Any]) -> list[Any]:
        outputs = self._process_completion(response, kwargs)
        usage = _value(response, "usage", None)
        usage = dict(usage) if usage else {}
        tracker = setting("usage_tracker")
        if tracker and usage:
            tracker.add_usage(self.model, usage)
        if setting("disable_history"):
            return outputs
        hidden = _value(response, "_hidden_params", None)
        entry = {
            "prompt": prompt,
            "messages": messages,
            "kwargs": {k: v for k, v in kwargs.items() if not k.startswith("api_")} if kwargs else {},
            "response": response,
            "outputs": outputs,
            "usage": usage,
            "cost": hidden.get("response_cost") if hidden else None,
            "timestamp": datetime.datetime.now().isoformat(),
            "uuid": _uuid4(),
            "model": self.model,
            "response_model": _value(response, "model"),
            "model_type": self.model_type,
        }
        self.update_history(entry)
        return outputs

    def _extract_citations_from_response(self, choice: Any) -> list[dict[str, Any]] | None:
        """The citations a provider returned with one choice (Anthropic's, in LiteLLM's
        ``provider_specific_fields``), flattened into one list; ``None`` when there are none."""
        try:
            fields = _value(_value(choice, "message"), "provider_specific_fields", {}) or {}
            groups = fields.get("citations")
        except Exception:  # noqa: BLE001 - a response of another shape has no citations
            return None
        if not isinstance(groups, list):
            return None
        return [c for group in groups for c in (group if isinstance(group, list) else [group])]

    def _process_completion(self, response: Any, kwargs: dict[str, Any]) -> list[Any]:
        """The outputs of an OpenAI-shaped chat response: texts, or dicts when a choice carries more
        (reasoning, logprobs when asked for, tool calls)."""
        logprobs = kwargs.get("logprobs", self.kwargs.get("logprobs"))
        outputs: list[Any] = []
        plain = True
        for choice in _value(response, "choices", None) or ():
            message = _value(choice, "message")
            if message is None:
                outputs.append(_value(choice, "text"))
                continue
            text = _value(message, "content")
            reasoning = _value(message, "reasoning_content")
            calls = _value(message, "tool_calls")
            if not (reasoning or logprobs or calls):
                outputs.append(text)
                continue
            output = {"text": text}
            if reasoning:
                output["reasoning_content"] = reasoning
            if logprobs:
                output["logprobs"] = _value(choice, "logprobs")
            if calls:
                output["tool_calls"] = calls
            outputs.append(output)
            plain = False
        if plain:
            return outputs
        return [o if isinstance(o, dict) else {"text": o} for o in outputs]

    def update_history(self, entry: dict[str, Any]) -> None:
        if setting("disable_history"):
            return
        self._append_history(entry)

    def _append_history(self, entry: dict[str, Any]) -> None:
        if len(GLOBAL_HISTORY) >= MAX_HISTORY_SIZE:
            GLOBAL_HISTORY.pop(0)
        GLOBAL_HISTORY.append(entry)
        limit = setting("max_history_size")
        if limit == 0:
            return
        for owner in (self, *caller_modules.get()):
            history = owner.history
            if len(history) >= limit:
                history.pop(0)
            history.append(entry)

    def inspect_history(self, n: int = 1, file: TextIO | None = None) -> None:
        dspex_core.inspect_history(n, file=file, colors=file is None, entries=self.history)

    def copy(self, **kwargs: Any) -> "BaseLM":
        new = copy_module.copy(self)
        new.history = []
        new.callbacks = list(getattr(self, "callbacks", []) or [])
        new.kwargs = dict(getattr(self, "kwargs", {}) or {})
        new.__dict__.pop("_dspex_bridge", None)
        new.__dict__.pop("_dspex_lm", None)
        new.__dict__.pop("_dspex_module", None)
        new.__dict__.pop("_direct_entries", None)
        for key, value in kwargs.items():
            if hasattr(new, key):
                setattr(new, key, value)
            if key in new.kwargs or not hasattr(self, key):
                if value is None:
                    new.kwargs.pop(key, None)
                else:
                    new.kwargs[key] = value
        return new

    def dump_state(self) -> dict[str, Any]:
        kwargs = {k: v for k, v in self.kwargs.items() if k not in ("api_key", LM_CLASS_STATE_KEY)}
        return {LM_CLASS_STATE_KEY: f"{type(self).__module__}.{type(self).__qualname__}", "model": self.model,
                "model_type": self.model_type, "cache": self.cache, "num_retries": getattr(self, "num_retries", 3),
                **kwargs}

    @classmethod
    def load_state(cls, state: dict[str, Any], *, allow_custom_lm_class: bool = False) -> "BaseLM":
        state = dict(state)
        state.pop(LM_CLASS_STATE_KEY, None)
        model = state.pop("model")
        return cls(model, **state)


class LM(BaseLM):
    """A provider's model (``"openai/gpt-4o-mini"``, ...), served by dspex's LM client."""

    def __init__(self, model: str, model_type: str = "chat", temperature: float | None = None,
                 max_tokens: int | None = None, cache: bool = True, callbacks: list | None = None,
                 num_retries: int = 3, provider: Any = None, finetuning_model: str | None = None,
                 launch_kwargs: dict | None = None, train_kwargs: dict | None = None,
                 use_developer_role: bool = False, **kwargs: Any):
        given = dict(kwargs)
        if temperature is not None:
            given["temperature"] = temperature
        if max_tokens is not None:
            given["max_tokens"] = max_tokens
        if cache is not True:
            given["cache"] = cache
        if num_retries != 3:
            given["num_retries"] = num_retries
        self._given = given
        self._dspex_lm = dspex_core.LM(model, **given)
        super().__init__(model, model_type=model_type, temperature=temperature, max_tokens=max_tokens,
                         cache=cache, callbacks=callbacks, num_retries=num_retries,
                         **{k: v for k, v in kwargs.items() if k != "api_key"})
        self.provider = provider
        self.finetuning_model = finetuning_model
        self.launch_kwargs = launch_kwargs or {}
        self.train_kwargs = train_kwargs or {}
        self.use_developer_role = use_developer_role

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (``save_program=True``, copies) without credentials: a key given to the LM is left out,
        and the loaded LM reads it from the provider's environment variable, as dspex's LM does."""
        from dspex_core.backend import SECRET_SETTINGS

        state = dict(self.__dict__)
        state.pop("_dspex_lm", None)
        state.pop("_dspex_bridge", None)
        state["_given"] = {k: v for k, v in self._given.items() if k not in SECRET_SETTINGS}
        state["kwargs"] = {k: v for k, v in self.kwargs.items() if k not in SECRET_SETTINGS}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._dspex_lm = dspex_core.LM(self.model, **self._given)

    def __copy__(self) -> "LM":
        """A copy in this process keeps the key (only pickles leave it out)."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __deepcopy__(self, memo: dict) -> "LM":
        new = object.__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():  # the dspex LM and its bridge are shared descriptions
            new.__dict__[key] = value if key in ("_dspex_lm", "_dspex_bridge") else copy_module.deepcopy(value, memo)
        return new

    @property
    def history(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """This model's calls, read from dspex's process-wide history (where native records them);
        a direct call of this object (``lm(...)``) is shown as DSPy records it (:meth:`_record_direct`)."""
        direct = self.__dict__.get("_direct_entries") or {}
        return [direct.get(entry["timestamp"], entry) if direct else entry
                for entry in dspex_core.history() if entry.get("model") == self.model]

    @history.setter
    def history(self, value: list[dict[str, Any]]) -> None:
        pass  # the calls are recorded by dspex; BaseLM.__init__ and copy() set an empty list

    # -- calling the model directly: dspex's ``lm`` module type -----------------------------------
    def _call(self, prompt: Any, messages: Any, kwargs: dict[str, Any]) -> list[Any]:
        """DSPy's ``lm(prompt)`` / ``lm(messages=[...], **settings)``: the list of completions (strings,
        or dicts when one carries tool calls), sent by dspex's ``lm`` module type."""
        if type(self).forward is not LM.forward:  # a subclass with its own forward: BaseLM's path
            return super()._call(prompt, messages, kwargs)
        inputs, options = self._direct_call(prompt, messages, kwargs)
        return self._record_direct(self._sent(inputs, options), prompt, messages, kwargs)

    async def _acall(self, prompt: Any, messages: Any, kwargs: dict[str, Any]) -> list[Any]:
        if type(self).aforward is not LM.aforward or type(self).forward is not LM.forward:
            return await super()._acall(prompt, messages, kwargs)  # a subclass's own (a)forward
        inputs, options = self._direct_call(prompt, messages, kwargs)
        return self._record_direct(await self._asent(inputs, options), prompt, messages, kwargs)

    def forward(self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
        """DSPy's ``forward``: the call's OpenAI-shaped chat completion (what ``__call__`` reads)."""
        inputs, options = self._direct_call(prompt, messages, kwargs)
        prediction = self._sent(inputs, options)
        return _completion_response(prediction.outputs, self.model, _usage_of(prediction, self.model))

    async def aforward(self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None,
                       **kwargs: Any) -> Any:
        if type(self).forward is not LM.forward:  # BaseLM's rule: a subclass's forward serves it
            return self.forward(prompt=prompt, messages=messages, **kwargs)
        inputs, options = self._direct_call(prompt, messages, kwargs)
        prediction = await self._asent(inputs, options)
        return _completion_response(prediction.outputs, self.model, _usage_of(prediction, self.model))

    def _sent(self, inputs: dict[str, Any], options: dict[str, Any]) -> Any:
        """The ``lm`` module's prediction for one call; its failure as the DSPy error (an HTTP 429 is an
        ``LMRateLimitError``, ...)."""
        try:
            return self._lm_module()(**inputs, **options)
        except dspex_core.DspexError as exc:
            raise_as_dspy(exc)

    async def _asent(self, inputs: dict[str, Any], options: dict[str, Any]) -> Any:
        try:
            return await self._lm_module().acall(**inputs, **options)
        except dspex_core.DspexError as exc:
            raise_as_dspy(exc)

    def _lm_module(self) -> Any:
        """dspex's ``lm`` module for this model (made once per LM object)."""
        module = self.__dict__.get("_dspex_module")
        if module is None:
            module = self.__dict__["_dspex_module"] = dspex_core.create("lm", lm=self._dspex_lm)
        return module

    @staticmethod
    def _direct_call(prompt: Any, messages: Any, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ``lm`` module's inputs and call options for DSPy's arguments: the messages (DSPy sends
        them when given, else the prompt as one user message) and the settings as ``config``."""
        if messages is None and prompt is None:
            raise ValueError("Either prompt or messages must be provided")  # DSPy's words
        inputs = {"messages": messages} if messages else {"prompt": prompt}
        return inputs, ({"config": dict(kwargs)} if kwargs else {})

    def _record_direct(self, prediction: Any, prompt: Any, messages: Any, kwargs: dict[str, Any]) -> list[Any]:
        """The outputs; DSPy's history entry of the call (prompt, messages as given, kwargs, outputs,
        usage, ...) shown by ``lm.history`` in place of dspex's plainer record of it."""
        outputs = list(prediction.outputs)
        if setting("disable_history"):
            return outputs
        sent = messages or [{"role": "user", "content": prompt}]
        usage = _usage_of(prediction, self.model)
        entry = {
            "prompt": prompt,
            "messages": messages,
            "kwargs": {k: v for k, v in kwargs.items() if not k.startswith("api_")},
            "response": _completion_response(outputs, self.model, usage),
            "outputs": outputs,
            "usage": usage,
            "cost": None,
            "timestamp": datetime.datetime.now().isoformat(),
            "uuid": _uuid4(),
            "model": self.model,
            "response_model": None,
            "model_type": self.model_type,
        }
        for recorded in reversed(dspex_core.history(16)):  # dspex's record of this very call
            if recorded["model"] == self.model and recorded["messages"] == sent and recorded["outputs"] == outputs:
                entry["timestamp"] = recorded["timestamp"]
                direct = self.__dict__.setdefault("_direct_entries", {})
                if len(direct) >= MAX_HISTORY_SIZE:
                    direct.pop(next(iter(direct)))
                direct[recorded["timestamp"]] = entry
                break
        limit = setting("max_history_size")
        if limit:
            for owner in caller_modules.get():
                if len(owner.history) >= limit:
                    owner.history.pop(0)
                owner.history.append(entry)
        return outputs

    def copy(self, **kwargs: Any) -> "LM":
        given = {**self._given, **{k: v for k, v in kwargs.items() if k != "model"}}
        for key, value in kwargs.items():
            if value is None:
                given.pop(key, None)
        return LM(kwargs.get("model", self.model), model_type=self.model_type, **given)

    def dump_state(self) -> dict[str, Any]:
        state = super().dump_state()
        state[LM_CLASS_STATE_KEY] = "dspy.clients.lm.LM"
        return state


class CustomLMBridge:
    """A layer custom LM as dspex's custom-LM protocol: ``(messages, **settings) -> [text, ...]``."""

    __slots__ = ("lm", "model", "__weakref__")
    #: read by the callbacks handed to dspex, which report the layer's LM instead of this bridge
    bridges_layer_lm = True

    def __init__(self, lm: BaseLM):
        self.lm = lm
        self.model = getattr(lm, "model", type(lm).__name__)

    def __call__(self, messages: list[dict[str, Any]], **settings: Any) -> list[Any]:
        lm = self.lm
        if type(lm).__call__ is BaseLM.__call__:  # dspex fires this call's LM events: the call without them
            return [_text(o) for o in lm._call(None, messages, settings)]
        return [_text(o) for o in lm(messages=messages, **settings)]  # a subclass's own __call__

    async def acall(self, messages: list[dict[str, Any]], **settings: Any) -> list[Any]:
        lm = self.lm
        if type(lm).acall is BaseLM.acall:
            return [_text(o) for o in await lm._acall(None, messages, settings)]
        return [_text(o) for o in await lm.acall(messages=messages, **settings)]

    # what native's adapters ask an LM (DSPy's adapters ask the LM object the same)
    @property
    def supports_function_calling(self) -> bool:
        return bool(getattr(self.lm, "supports_function_calling", False))

    @property
    def supports_reasoning(self) -> bool:
        return bool(getattr(self.lm, "supports_reasoning", False))

    @property
    def supports_response_schema(self) -> bool:
        return bool(getattr(self.lm, "supports_response_schema", False))

    @property
    def supported_params(self) -> Any:
        return getattr(self.lm, "supported_params", set())

    @property
    def kwargs(self) -> dict[str, Any]:
        return getattr(self.lm, "kwargs", {})

    @property
    def model_type(self) -> str:
        return getattr(self.lm, "model_type", "chat")


def _usage_of(prediction: Any, model: str) -> dict[str, Any]:
    """The call's token usage for ``model`` (dspex's record of it on the prediction), or ``{}``."""
    getter = getattr(prediction, "get_lm_usage", None)
    usage = getter() if getter is not None else None
    return dict((usage or {}).get(model) or {})


def _completion_response(outputs: list[Any], model: str, usage: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-shaped chat completion of the outputs (DSPy's ``forward`` returns the provider's)."""
    choices = []
    for index, output in enumerate(outputs):
        message = {"role": "assistant", "content": output.get("text") if isinstance(output, dict) else output}
        if isinstance(output, dict) and output.get("tool_calls"):
            message["tool_calls"] = output["tool_calls"]
        choices.append({"index": index, "message": message,
                        "finish_reason": "tool_calls" if "tool_calls" in message else "stop"})
    return {"object": "chat.completion", "model": model, "choices": choices, "usage": usage}


def _text(output: Any) -> Any:
    """A completion as dspex reads it: its text, or the whole dict when it carries what native
    reads besides the text (the LM's ``tool_calls``, its ``reasoning_content``)."""
    if isinstance(output, dict):
        if output.get("tool_calls") or "reasoning_content" in output:
            return output
        return output.get("text") or ""
    return output


def dspex_lm(lm: Any) -> Any:
    """What dspex is given for a layer LM: the ``dspex.LM`` of a ``dspy.LM``, a bridge for a custom
    LM (made once per LM object), any other callable as it is."""
    if lm is None:
        return None
    if isinstance(lm, LM) and type(lm).forward is LM.forward:
        return lm._dspex_lm
    if isinstance(lm, BaseLM):
        bridge = lm.__dict__.get("_dspex_bridge")
        if bridge is None:
            bridge = lm.__dict__["_dspex_bridge"] = CustomLMBridge(lm)
        return bridge
    return lm


def inspect_history(n: int = 1, file: TextIO | None = None) -> None:
    """The last ``n`` LM calls, as ``dspy.inspect_history`` prints them."""
    dspex_core.inspect_history(n, file=file, colors=file is None)
