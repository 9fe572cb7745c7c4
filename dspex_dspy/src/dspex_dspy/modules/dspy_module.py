"""``dspy_module``: a dspy module built by hand (``dspex.wrap``), or a dspy attribute by its path
(``dspex.dspy_call``).

dspex wraps DSPy's module types one by one; this type serves everything else. A wrapped module is
stored like any module this backend builds (so it lives and ends with its session, and optimizers,
evaluate and pipelines take its reference) and runs inside ``dspy.context`` with the LM and
adapter resolved for the call. Its inputs are those its ``forward`` names (or its signature's, for
DSPy's own modules, whose ``forward`` takes ``**kwargs``); what it produces is whatever its
``forward`` returns, so ``outputs=`` may declare it for pipelines.

A spec that is a ``"dspy.…"`` path is resolved to that attribute of dspy instead, and the module
calls it with ``args``/``kwargs`` (its inputs) and returns ``Prediction(result=...)``; nothing is
stored for it (``dspex.dspy_call`` makes one per call).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Mapping

import dspy
from dspex_core.backend import Prediction
from dspex_core.config import settings
from dspex_core.errors import CapabilityError, InputError
from dspy.utils.exceptions import DSPyError

from dspex_dspy import store
from dspex_dspy._base import DspyImplementation, check_options
from dspex_dspy._context import call_context, resolve_adapter
from dspex_dspy._errors import raise_translated
from dspex_dspy.translate import from_dspy_prediction


class DspyPath:
    """The state of a module made from a ``"dspy.…"`` path: the attribute it names."""

    __slots__ = ("path", "target", "lm", "adapter")

    def __init__(self, path: str, target: Any, lm: Any, adapter: Any):
        self.path = path
        self.target = target
        self.lm = lm
        self.adapter = adapter


def resolve_path(path: str) -> Any:
    """The dspy attribute at ``path``; an :class:`InputError` names the first part that is missing
    and what its parent has instead."""
    parts = path.split(".")
    if parts[0] != "dspy" or not all(part.isidentifier() for part in parts):
        raise InputError(f"a dspy path is dotted names starting with 'dspy' (e.g. 'dspy.evaluate.answer_exact_match'), "
                         f"got {path!r}")
    found: Any = dspy
    for index, part in enumerate(parts[1:], start=1):
        try:
            found = getattr(found, part)
            continue
        except AttributeError:
            pass
        where = ".".join(parts[:index])
        if inspect.ismodule(found):
            try:  # a submodule dspy does not import by itself (dspy.teleprompt.gepa, ...)
                found = importlib.import_module(f"{found.__name__}.{part}")
                continue
            except ImportError:
                pass
        public = sorted(name for name in dir(found) if not name.startswith("_"))
        shown = ", ".join(public[:40]) + (", ..." if len(public) > 40 else "")
        raise InputError(f"{path!r}: {where} has no attribute {part!r}; it has: {shown or 'nothing public'}")
    return found


def _forward_inputs(module: Any) -> tuple[frozenset[str], frozenset[str]] | None:
    """(input names, required ones) of a hand-built module's ``forward``, or ``None`` when it
    takes ``**kwargs`` or positional-only inputs."""
    try:  # the class's function: reading module.forward makes dspy warn against calling it directly
        params = list(inspect.signature(type(module).forward).parameters.values())[1:]
    except (TypeError, ValueError, AttributeError):
        return None
    kinds = inspect.Parameter
    if any(p.kind in (kinds.VAR_KEYWORD, kinds.VAR_POSITIONAL, kinds.POSITIONAL_ONLY) for p in params):
        return None
    names = frozenset(p.name for p in params)
    return names, frozenset(p.name for p in params if p.default is p.empty)


class DspyModuleImpl(DspyImplementation):
    """``dspex.wrap(module)`` / ``dspex.DspyModule.create(module, outputs=[...])``; a ``"dspy.…"``
    path as the spec for ``dspex.dspy_call``. Create options: ``lm``, ``adapter``, ``outputs`` (the
    fields its ``forward`` returns, for pipelines)."""

    module_type = "dspy_module"
    create_options = frozenset({"outputs"})
    call_options = frozenset()

    def build(self, spec: Any, *, outputs: Any = None) -> Any:
        if not isinstance(spec, dspy.Module):
            kind = "a class" if isinstance(spec, type) else type(spec).__name__
            raise InputError(f"dspy_module wraps a dspy module built by hand (an instance of a dspy.Module subclass, "
                             f"e.g. dspex.wrap(MyProgram())) or takes a 'dspy.…' path; got {kind}"
                             + (f" {spec.__name__}: create an instance first" if isinstance(spec, type) else ""))
        if outputs is not None and (isinstance(outputs, str) or not all(isinstance(o, str) for o in outputs)):
            raise InputError(f"outputs must be a list of field names, got {outputs!r}")
        return spec

    def create(self, spec: Any, **options: Any) -> Any:
        if isinstance(spec, str):
            lm = options.pop("lm", None)
            adapter = resolve_adapter(options.pop("adapter", None)) if "adapter" in options else None
            check_options(self.module_type, options, frozenset())
            return DspyPath(spec, resolve_path(spec), lm, adapter)
        outputs = options.get("outputs")
        module_id = super().create(spec, **options)
        if outputs is not None:
            store.entry(module_id)[1]["outputs"] = list(outputs)
        return module_id

    def input_names(self, module: Any) -> tuple[frozenset[str], frozenset[str]] | None:
        own = _forward_inputs(module)
        if own is not None:
            return own
        if getattr(module, "signature", None) is not None or type(module).__module__.startswith("dspy."):
            return super().input_names(module)  # DSPy's own modules: their signature's inputs
        return None  # a forward(**kwargs) of the user's: it decides

    def describe(self, state: Any) -> dict[str, Any]:
        if isinstance(state, DspyPath):
            return {"path": state.path, "inputs": ["args", "kwargs"], "outputs": ["result"]}
        module, meta = store.entry(state)
        info = super().describe(state)
        names = meta["inputs"]
        if names is not None:  # what a pipeline must give it; the others it may take are listed apart
            info["inputs"] = sorted(names[1])
            info["optional_inputs"] = sorted(names[0] - names[1])
        outputs = meta.get("outputs")
        if outputs is None:
            signature = getattr(module, "signature", None)
            if signature is None and type(module).__module__.startswith("dspy."):
                predictors = module.named_predictors()  # ChainOfThought: its one Predict's outputs
                signature = predictors[0][1].signature if len(predictors) == 1 else None
            if signature is not None:
                outputs = list(signature.output_fields)
        if outputs is not None:
            info["outputs"] = list(outputs)
        return info

    def execute(self, state: Any, inputs: Mapping[str, Any], **options: Any) -> Any:
        if isinstance(state, DspyPath):
            return self._call_path(state, inputs, options)
        return super().execute(state, inputs, **options)

    async def aexecute(self, state: Any, inputs: Mapping[str, Any], **options: Any) -> Any:
        if isinstance(state, DspyPath):
            import asyncio

            return await asyncio.to_thread(self._call_path, state, inputs, options)
        return await super().aexecute(state, inputs, **options)

    async def acall(self, module: Any, kwargs: dict[str, Any]) -> Any:
        if getattr(type(module), "aforward", None) is None:  # a hand-built module without an async forward
            import asyncio

            return await asyncio.to_thread(module, **kwargs)
        return await module.acall(**kwargs)

    def convert(self, result: Any) -> Any:
        if isinstance(result, Prediction):
            return result
        if isinstance(result, dspy.Prediction):
            return from_dspy_prediction(result)
        raise InputError(f"the wrapped dspy module's forward returned {type(result).__name__}, not a dspy.Prediction; "
                         f"dspex modules return predictions (return dspy.Prediction(field=value, ...))")

    def _call_path(self, state: DspyPath, inputs: Mapping[str, Any], options: dict[str, Any]) -> Prediction:
        unknown = sorted(set(inputs) - {"args", "kwargs"})
        if unknown:
            raise InputError(f"a dspy path module takes the inputs args and kwargs, got {', '.join(unknown)}")
        call_lm = options.pop("lm", None)
        check_options(self.module_type + " (call)", options, frozenset())
        args, kwargs = list(inputs.get("args") or ()), dict(inputs.get("kwargs") or {})
        if not callable(state.target):
            if args or kwargs:
                raise InputError(f"{state.path!r} is a {type(state.target).__name__}, not callable; "
                                 f"dspex.dspy_call calls it only without arguments (which returns it)")
            return Prediction(result=state.target)
        if call_lm is None and state.lm is None and settings().lm is None:
            lm, adapter = None, state.adapter  # many dspy functions need no LM (metrics, Example, ...)
        else:
            lm, adapter = call_context(call_lm, state.lm, state.adapter)
        try:
            with dspy.context(lm=lm, adapter=adapter):
                return Prediction(result=state.target(*args, **kwargs))
        except DSPyError as exc:
            raise_translated(exc, lm)
            raise

    def unwrap(self, state: Any) -> Any:
        if isinstance(state, DspyPath):
            return state.target
        return super().unwrap(state)

    def _no_state(self, state: Any) -> None:
        if isinstance(state, DspyPath):
            raise CapabilityError(f"{state.path!r} is a dspy attribute, not a module with state")

    def save(self, state: Any, path: Any) -> None:
        self._no_state(state)
        super().save(state, path)

    def dump_state(self, state: Any) -> dict[str, Any]:
        self._no_state(state)
        return super().dump_state(state)


implementation = DspyModuleImpl()
