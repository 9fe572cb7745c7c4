"""DSPy's ``Predict``, served by dspex: each call goes to a dspex ``predict`` reference.

The reference is made from the predictor's signature class, demos, LM, adapter and config, and
kept until one of them changes, so the router picks the implementation once (native, which
sends DSPy's prompts byte for byte, or the dspy backend) and a call pays only for the call.
The predictor's state (``demos``, ``signature``, ``lm``, ``traces``, ``train``) is DSPy's, so
optimizers and ``save``/``load`` work on it as on dspy.
"""

from __future__ import annotations

import random
from typing import Any

import dspex_core

from dspex_compat._adapters import adapter_name, adapter_options, runs_on_dspex
from dspex_compat._dspex_callbacks import lm_callbacks_heard
from dspex_compat._error_boundary import raise_as_dspy
from dspex_compat._lm import dspex_lm
from dspex_compat._module import Module
from dspex_compat._parameter import Predictor
from dspex_compat._settings import setting
from dspex_compat._stream_sink import stream_sink
from dspex_compat._signature import ensure_signature

__all__ = ["Predict"]


def _logger() -> Any:
    import logging  # on first warning: ``import dspy`` does not import logging

    return logging.getLogger("dspy.predict.predict")


_NO_LM = ("No LM is loaded. Please configure the LM using `dspy.configure(lm=dspy.LM(...))`. e.g, "
          "`dspy.configure(lm=dspy.LM('openai/gpt-4o-mini'))`")
_REFS_KEPT = 8


def _demo_snapshot(demos: Any) -> list[Any]:
    """Copies of the demos as a cached reference was made with them: the demos compare unequal to
    it once changed in place (``predict.demos[0] = ...``, ``predict.demos[0].answer = ...``), as DSPy
    reads them at every call (a list compare, C-level for dict-backed Examples)."""
    return [d.copy() if isinstance(d, dspex_core.Example) else dict(d) if isinstance(d, dict) else d for d in demos]


def _serialize(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return dump(mode="json")
    if isinstance(value, list):
        return [_serialize(v) for v in value]
    if isinstance(value, tuple):
        return [_serialize(v) for v in value]
    if isinstance(value, dict):
        return {k: _serialize(v) for k, v in value.items()}
    return value


class Predict(Module, Predictor):
    """Ask the LM for a signature's outputs (DSPy's ``dspy.Predict``)."""

    def __init__(self, signature: Any, callbacks: list | None = None, **config: Any):
        super().__init__(callbacks=callbacks)
        self.stage = random.randbytes(8).hex()
        self.signature = ensure_signature(signature)
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.lm = None
        self.traces: list[Any] = []
        self.train: list[Any] = []
        self.demos: list[Any] = []

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_dspex_refs", None)
        return state

    def __deepcopy__(self, memo: dict) -> "Predict":
        import copy

        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key == "_dspex_refs":
                continue
            if key in ("lm", "signature"):
                new.__dict__[key] = value  # an LM and a signature class are shared, as DSPy's deepcopy leaves them
            else:
                new.__dict__[key] = copy.deepcopy(value, memo)
        return new

    def dump_state(self, json_mode: bool = True) -> dict[str, Any]:
        state: dict[str, Any] = {"traces": self.traces, "train": self.train, "demos": []}
        for demo in self.demos:
            demo = demo.copy()
            for field in demo:
                demo[field] = _serialize(demo[field])
            if isinstance(demo, dict) or not json_mode:
                state["demos"].append(demo)
            else:
                state["demos"].append(demo.toDict())
        state["signature"] = self.signature.dump_state()
        state["lm"] = self.lm.dump_state() if self.lm else None
        return state

    def load_state(self, state: dict[str, Any], *, allow_unsafe_lm_state: bool = False) -> "Predict":
        for name, value in state.items():
            if name not in ("signature", "extended_signature", "lm"):
                setattr(self, name, value)
        self.demos = [d if isinstance(d, dspex_core.Example) else dspex_core.Example(**d) for d in self.demos]
        self.signature = self.signature.load_state(state["signature"])
        lm_state = state.get("lm")
        if lm_state:
            from dspex_compat._lm import LM

            self.lm = LM.load_state(lm_state, allow_custom_lm_class=allow_unsafe_lm_state)
        else:
            self.lm = None
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise ValueError(self._positional_error(args))
        return super().__call__(**kwargs)

    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise ValueError(self._positional_error(args))
        return await super().acall(**kwargs)

    def _positional_error(self, args: tuple) -> str:
        fields = list(self.signature.input_fields)
        return ("Positional arguments are not allowed when calling `dspy.Predict`, must use keyword arguments that "
                f"match your signature input fields: '{', '.join(fields)}'. For example: "
                f"`predict({fields[0] if fields else 'input'}=input_value, ...)`.")

    def _prepare(self, kwargs: dict[str, Any], adapter: Any) -> tuple[Any, dict[str, Any], Any]:
        """``(the cached dspex reference, its inputs, the LM)`` of one call."""
        signature = kwargs.pop("signature", self.signature)
        if isinstance(signature, str):
            signature = ensure_signature(signature)
        demos = kwargs.pop("demos", self.demos)
        config = self.config
        if "config" in kwargs:
            config = {**config, **kwargs.pop("config")}
        lm = kwargs.pop("lm", None) or self.lm or setting("lm")
        if lm is None:
            raise ValueError(_NO_LM)
        if isinstance(lm, str):
            raise ValueError(f"LM must be an instance of `dspy.BaseLM`, not a string. Instead of using a string like "
                             f"'dspy.configure(lm=\"{lm}\")', please configure the LM like "
                             f"'dspy.configure(lm=dspy.LM(\"{lm}\"))'")
        extra = adapter_options(adapter)
        key = (id(signature), signature.__doc__, id(demos), len(demos), id(lm), id(adapter), tuple(extra.items()),
               tuple(sorted((k, repr(v)) for k, v in config.items())) if config else ())
        refs = self.__dict__.get("_dspex_refs")
        if refs is None:
            refs = self.__dict__["_dspex_refs"] = {}
        entry = refs.get(key)
        if entry is not None and demos and (demos if type(demos) is list else list(demos)) != entry[6]:
            entry = None  # a demo changed in place
        if entry is None:
            options: dict[str, Any] = {"config": dict(config)} if config else {}
            name = adapter_name(adapter)
            if name is not None:
                options["adapter"] = name
            if extra:
                options["adapter_options"] = extra
            ref = dspex_core.create("predict", signature._dspex(), demos=list(demos), lm=dspex_lm(lm), **options)
            if len(refs) >= _REFS_KEPT:
                refs.clear()
            # what the ids in the key name is kept alive with the reference
            entry = refs[key] = (ref, tuple(signature.input_fields), demos, signature, lm, adapter,
                                 _demo_snapshot(demos))
        ref, names = entry[0], entry[1]
        inputs = {k: kwargs[k] for k in names if k in kwargs}
        if len(inputs) < len(names):
            _logger().warning("Not all input fields were provided to module. Present: %s. Missing: %s.",
                           list(inputs), [k for k in names if k not in inputs])
        return ref, inputs, entry[4]

    def _adapter_request(self, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any], Any, list[Any], dict[str, Any]]:
        """``(lm, lm_kwargs, signature, demos, inputs)`` for an adapter's own call loop (DSPy's
        ``Predict._forward_preprocess``, the n/temperature rule included)."""
        signature = ensure_signature(kwargs.pop("signature", self.signature))
        demos = kwargs.pop("demos", self.demos)
        config = {**self.config, **kwargs.pop("config", {})}
        lm = kwargs.pop("lm", None) or self.lm or setting("lm")
        if lm is None:
            raise ValueError(_NO_LM)
        if isinstance(lm, str):
            raise ValueError(f"LM must be an instance of `dspy.BaseLM`, not a string. Instead of using a string like "
                             f"'dspy.configure(lm=\"{lm}\")', please configure the LM like "
                             f"'dspy.configure(lm=dspy.LM(\"{lm}\"))'")
        lm_settings = getattr(lm, "kwargs", None) or {}
        temperature = config.get("temperature") or lm_settings.get("temperature")
        n = config.get("n") or lm_settings.get("n") or lm_settings.get("num_generations") or 1
        if (temperature is None or temperature <= 0.15) and n > 1:
            config["temperature"] = 0.7
        missing = [k for k in signature.input_fields if k not in kwargs]
        if missing:
            _logger().warning("Not all input fields were provided to module. Present: %s. Missing: %s.",
                           [k for k in signature.input_fields if k in kwargs], missing)
        return lm, config, signature, demos, kwargs

    def forward(self, **kwargs: Any) -> Any:
        adapter = setting("adapter")
        if adapter is not None and not runs_on_dspex(adapter):  # the adapter's own call loop
            lm, lm_kwargs, signature, demos, inputs = self._adapter_request(kwargs)
            completions = adapter(lm, lm_kwargs=lm_kwargs, signature=signature, demos=demos, inputs=inputs)
            return self._predicted(inputs, completions)
        ref, inputs, lm = self._prepare(kwargs, adapter)
        own = getattr(lm, "callbacks", None)
        if own:  # the LM's own callbacks hear its calls too (dspex fires them)
            with lm_callbacks_heard(setting("callbacks"), own):
                return self._run(ref, inputs)
        return self._run(ref, inputs)

    def _run(self, ref: Any, inputs: dict[str, Any]) -> Any:
        sink = stream_sink.get()
        try:
            if sink is not None and id(self) in sink.listeners:  # dspy.streamify listens to this predictor
                prediction = sink.run(self, ref, inputs)
            else:
                prediction = ref(**inputs)
        except dspex_core.DspexError as exc:
            raise_as_dspy(exc, signature=self.signature, adapter=setting("adapter"))
        self._trace(inputs, prediction)
        return prediction

    async def aforward(self, **kwargs: Any) -> Any:
        adapter = setting("adapter")
        if adapter is not None and not runs_on_dspex(adapter):
            lm, lm_kwargs, signature, demos, inputs = self._adapter_request(kwargs)
            completions = await adapter.acall(lm, lm_kwargs=lm_kwargs, signature=signature, demos=demos,
                                              inputs=inputs)
            return self._predicted(inputs, completions)
        ref, inputs, lm = self._prepare(kwargs, adapter)
        own = getattr(lm, "callbacks", None)
        if own:
            with lm_callbacks_heard(setting("callbacks"), own):
                return await self._arun(ref, inputs)
        return await self._arun(ref, inputs)

    async def _arun(self, ref: Any, inputs: dict[str, Any]) -> Any:
        sink = stream_sink.get()
        try:
            if sink is not None and id(self) in sink.listeners:
                prediction = await sink.arun(self, ref, inputs)
            else:
                prediction = await ref.acall(**inputs)
        except dspex_core.DspexError as exc:
            raise_as_dspy(exc, signature=self.signature, adapter=setting("adapter"))
        self._trace(inputs, prediction)
        return prediction

    def _predicted(self, inputs: dict[str, Any], completions: list[dict[str, Any]]) -> Any:
        prediction = dspex_core.Prediction.from_completions(completions)
        self._trace(inputs, prediction)
        return prediction

    def _trace(self, inputs: dict[str, Any], prediction: Any) -> None:
        trace = setting("trace")
        if trace is not None:
            limit = setting("max_trace_size")
            if limit <= 0:
                return
            if len(trace) >= limit:
                trace.pop(0)
            trace.append((self, {**inputs}, prediction))

    def update_config(self, **kwargs: Any) -> None:
        self.config = {**self.config, **kwargs}

    def get_config(self) -> dict[str, Any]:
        return self.config

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.signature})"


