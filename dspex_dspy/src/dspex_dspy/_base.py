"""``DspyImplementation``: what every implementation of the dspy backend shares.

``create`` builds a dspy module, keeps it in the session store (:mod:`dspex_dspy.store`) and
returns its id: the module's *state*, which the core hands back to every other method.
``execute`` looks the module up and calls it inside ``dspy.context(lm=..., adapter=...)`` with
the LM and adapter resolved for this call (:mod:`dspex_dspy._context`), raising dspy's errors as
dspex's (:mod:`dspex_dspy._errors`) and returning dspy's prediction as a dspex one.
``describe``, ``save``, ``dump_state`` and ``load_state`` work on the stored dspy module with
dspy's own methods, so that a module saved here loads in plain dspy, and back.

Every implementation has every method of the contract except ``compile``, which only the
optimizers have, and ``astream`` (the core runs ``stream`` in worker threads); ``stream`` streams
the module types that say ``streams`` (:mod:`dspex_dspy._streaming`). The plugin registers a stand-in per module type that must declare the same
methods without importing dspy (:mod:`dspex_dspy._lazy`), and all it knows is the module type's
kind; a type whose module has no state (``has_state``) still has the methods, and they raise
:class:`~dspex_core.errors.CapabilityError`.

A module type's implementation subclasses :class:`DspyImplementation`, sets ``module_type`` and
``create_options`` (the options it accepts besides ``lm``/``adapter``) and implements
``build(spec, **options) -> dspy.Module``.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.backend import Implementation, StreamChunk, adapter_rules, allows_none, input_rules, settings_rules
from dspex_core.errors import CapabilityError, InputError
from dspy.utils.exceptions import DSPyError

from dspex_dspy import store
from dspex_dspy._context import call_context, resolve_adapter
from dspex_dspy._errors import raise_translated
from dspex_dspy._observe import context_settings, record_usage
from dspex_dspy.translate import from_dspy_prediction, to_dspy_demos, to_dspy_inputs, to_dspy_lm


def check_options(module_type: str, options: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Reject options outside ``allowed`` with an :class:`InputError` naming them and the valid ones."""
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for {module_type!r} on the dspy "
                         f"backend; accepted: {', '.join(sorted(allowed)) or 'none'}")


class DspyImplementation(Implementation):
    """Base of the dspy backend's implementations (see the module docstring)."""

    module_type: str = ""
    #: options ``create`` accepts besides ``lm`` and ``adapter``
    create_options: frozenset[str] = frozenset()
    #: per-call options ``execute`` accepts besides ``lm`` (passed to the dspy module)
    call_options: frozenset[str] = frozenset({"config", "demos"})
    #: whether a call may leave out an input whose type admits ``None`` (modules that send one
    #: prompt, as DSPy's ``Predict`` does; agents and wrappers need every input)
    optional_inputs: bool = False
    #: names a call takes besides the module's input fields (passed on to the dspy module)
    extra_inputs: frozenset[str] = frozenset()
    #: whether executing needs a language model
    needs_lm: bool = True
    #: dspy fires DSPy's callbacks for its modules itself (:mod:`dspex_dspy._observe`)
    fires_callbacks: bool = True
    #: whether the stored object is a dspy module with state of its own (what dspy's
    #: ``dump_state``/``load_state`` carry); ``False`` where ``create`` stores a configuration
    #: or a server client instead (evaluate, metrics, colbert_v2, the optimizers)
    has_state: bool = True
    #: whether the stored object is a dspy object ``ref.unwrap()`` can hand out; ``False`` where
    #: ``create`` stores a configuration dspy objects are made from per call (evaluate, metrics,
    #: parallel)
    unwrappable: bool = True

    # -- to implement -----------------------------------------------------------------------
    def build(self, spec: Any, **options: Any) -> Any:
        """The dspy module for ``spec`` and the create options (``lm``/``adapter`` removed)."""
        raise NotImplementedError

    def input_names(self, module: Any) -> tuple[frozenset[str], frozenset[str]] | None:
        """(all input names, required input names) to check calls against, or ``None``."""
        signature = getattr(module, "signature", None)
        if signature is None:
            predictors = module.named_predictors() if hasattr(module, "named_predictors") else []
            if len(predictors) != 1:
                return None
            signature = predictors[0][1].signature  # ChainOfThought: its one Predict's inputs
        names = frozenset(signature.input_fields)
        if not self.optional_inputs:
            return names, names
        return names, frozenset(name for name, field in signature.input_fields.items()
                                if field.is_required() and not allows_none(field.annotation))

    # -- making and running modules -----------------------------------------------------------
    def create(self, spec: Any, **options: Any) -> str:
        lm = options.pop("lm", None)
        adapter = resolve_adapter(options.pop("adapter", None)) if "adapter" in options else None
        adapter_options = None
        if self.module_type in adapter_rules.MODULE_TYPES and "adapter_options" in options:
            adapter_options = adapter_rules.check(self.module_type, options.pop("adapter_options"))
        check_options(self.module_type, options, self.create_options)
        module = self.build(spec, **options)
        return self.store(module, lm=lm, adapter=adapter, adapter_options=adapter_options)

    async def acreate(self, spec: Any, **options: Any) -> str:
        return self.create(spec, **options)

    def store(self, module: Any, *, lm: Any = None, adapter: Any = None, session_id: str | None = None,
              adapter_options: Mapping[str, Any] | None = None) -> str:
        """Put a built dspy module in the store and return its id (the module's state).

        Optimizers store the programs they compile through the program type's implementation,
        so a compiled program runs like one created directly.
        """
        if lm is not None and self.needs_lm:
            to_dspy_lm(lm)  # a bad lm= fails at create time, not at the first call
        meta = {"lm": lm, "adapter": adapter, "inputs": self.input_names(module), "adapter_options": adapter_options}
        return store.put(self.module_type, module, session_id=session_id, meta=meta)

    def _prepare(self, state: str, inputs: Mapping[str, Any], options: dict[str, Any]) -> tuple[Any, dict, Any]:
        module, meta = store.entry(state)
        kwargs = dict(inputs)
        names = meta["inputs"]
        if names is not None and kwargs.keys() != names[0]:  # the core's rule: raises, or drops ignored names
            kwargs = dict(input_rules.check_inputs(self.module_type, names[0], kwargs, required=names[1],
                                                   accepted=self.extra_inputs))
        to_dspy_inputs(kwargs)
        call_lm = options.pop("lm", None)
        if options:
            check_options(self.module_type + " (call)", options, self.call_options)
            if "config" in options:
                settings_rules.check_settings(self.module_type, options["config"])
            if "demos" in options:
                options["demos"] = to_dspy_demos(options["demos"])
            kwargs.update(options)
        if not self.needs_lm:
            return module, kwargs, (None, None)
        return module, kwargs, call_context(call_lm, meta["lm"], meta["adapter"], meta.get("adapter_options"))

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, kwargs, (lm, adapter) = self._prepare(state, inputs, options)
        try:
            with dspy.context(lm=lm, adapter=adapter, **context_settings()):
                return self.convert(record_usage(self.call(module, kwargs)))
        except DSPyError as exc:
            raise_translated(exc, lm)
            raise

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, kwargs, (lm, adapter) = self._prepare(state, inputs, options)
        try:
            with dspy.context(lm=lm, adapter=adapter, **context_settings()):
                return self.convert(record_usage(await self.acall(module, kwargs)))
        except DSPyError as exc:
            raise_translated(exc, lm)
            raise

    #: whether :meth:`stream` streams this module type's fields (through ``dspy.streamify``);
    #: the others yield only the final Prediction, as the core would
    streams: bool = False

    def stream(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        """The call streamed by dspy (:mod:`dspex_dspy._streaming`): StreamChunk items, then the Prediction."""
        if not self.streams:
            yield self.execute(state, inputs, **options)
            return
        from dspex_dspy._streaming import streamed

        module, kwargs, (lm, adapter) = self._prepare(state, inputs, options)
        try:
            with dspy.context(lm=lm, adapter=adapter, **context_settings()):
                items = streamed(module, kwargs)
                for item in items:
                    if isinstance(item, StreamChunk):
                        yield item
                    else:
                        yield self.convert(record_usage(item))
        except DSPyError as exc:
            raise_translated(exc, lm)
            raise

    def call(self, module: Any, kwargs: dict[str, Any]) -> Any:
        return module(**kwargs)

    async def acall(self, module: Any, kwargs: dict[str, Any]) -> Any:
        return await module.acall(**kwargs)

    def convert(self, result: Any) -> Any:
        return from_dspy_prediction(result)

    #: whether :meth:`render` can show this module type's next request (one predictor call first)
    renders: bool = False

    def render(self, state: str, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The request the next call would send, from dspy's own adapter and settings, without
        calling the LM (:mod:`dspex_dspy._render`)."""
        if not self.renders:
            raise CapabilityError(f"the dspy backend cannot render {self.module_type!r} prompts yet (call the module "
                                  f"and use dspex.inspect_history())")
        from dspex_dspy._render import render_call

        module, kwargs, (lm, adapter) = self._prepare(state, inputs, options)
        try:
            found = render_call(lambda: self.call(module, kwargs), lm, adapter)
        except DSPyError as exc:
            raise_translated(exc, lm)
            raise
        if found is None:
            raise CapabilityError(f"the dspy {self.module_type} module made no LM request to render")
        return found

    # -- inspection and persistence ---------------------------------------------------------
    def describe(self, state: str) -> dict[str, Any]:
        from dspex_dspy.programs import describe_module

        return {"module_id": state, **describe_module(store.get(state))}

    def save(self, state: str, path: Any) -> None:
        """Save in dspy's JSON format (``module.save(path)``): loads in plain dspy."""
        from dspex_dspy.programs import save_module

        module = store.get(state)
        save_module(module, path, self.dspex_metadata(module))

    def dspex_metadata(self, module: Any) -> dict[str, Any] | None:
        """What ``dspex.load`` needs beyond dspy's state (``module_type``, ``signature``), or ``None``."""
        return None

    def unwrap(self, state: str) -> Any:
        """The live dspy object behind the module (``ref.unwrap()``): what the module runs, so that a
        change to it changes the module."""
        if not self.unwrappable:
            raise CapabilityError(f"a {self.module_type} module on the dspy backend keeps its configuration, not a "
                                  f"dspy object: dspy's is made for each call, so there is nothing live to unwrap")
        return store.get(state)

    def dump_state(self, state: str) -> dict[str, Any]:
        """dspy's own ``dump_state()`` of the stored module: what :meth:`load_state` takes back."""
        if not self.has_state:
            raise CapabilityError(f"{self.module_type} has no learned state to dump")
        return store.get(state).dump_state()

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> str:
        """Create the module for ``spec`` (with the create ``options``) and apply a saved state
        with dspy's own ``module.load_state``; return the stored module's id.

        dspy's errors about a state that does not fit become :class:`InputError`; the
        half-made module is freed.
        """
        if not self.has_state:
            raise CapabilityError(f"{self.module_type} has no learned state to load")
        module_id = self.create(spec, **options)
        try:
            store.get(module_id).load_state(state_dict)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            store.free(module_id)
            raise InputError(f"the saved state does not fit a dspy {self.module_type} for this signature: "
                             f"{type(exc).__name__}: {exc}") from None
        except NotImplementedError as exc:  # dspy: states saved by DSPy 2.5 and earlier
            store.free(module_id)
            raise InputError(f"dspy cannot load this saved {self.module_type} state: {exc}") from None
        except BaseException:
            store.free(module_id)
            raise
        return module_id

    def __repr__(self) -> str:
        return f"<dspex_dspy {self.module_type}>"
