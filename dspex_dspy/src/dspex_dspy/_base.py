"""The reusable implementation class every dspy-backed module type builds on.

``create`` builds a dspy module, stores it in the session store and returns its id (the
``ModuleRef.handle``); ``execute`` looks it up and calls it inside
``dspy.context(lm=..., adapter=...)`` with the LM resolved for this call (``lm=`` option,
else the create-time ``lm=``, else ``dspex.settings().lm``). Nothing is ever written to
dspy's global settings, so dspex contexts and threads never see each other's LM.

A subclass sets ``module_type``, ``create_options`` (the options it accepts besides
``lm``/``adapter``) and implements ``build(spec, **options) -> dspy.Module``.
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.config import settings
from dspex_core.errors import InputError, LMError
from dspy.utils import exceptions as dspy_errors
from dspy.utils.exceptions import DSPyError

from dspex_dspy import store
from dspex_dspy.translate import from_dspy_prediction, to_dspy_demos, to_dspy_lm

_ADAPTERS = {"chat": "ChatAdapter", "json": "JSONAdapter", "xml": "XMLAdapter"}
_NO_LM = ("no language model configured: dspex.configure(lm=dspex.LM('provider/model')), "
          "create(..., lm=...) or call with lm=")


def resolve_adapter(adapter: Any) -> Any:
    """``"chat"``/``"json"``/``"xml"``, a dspy adapter instance, or ``None`` (dspy's default:
    ChatAdapter with its JSONAdapter fallback)."""
    if adapter is None or isinstance(adapter, dspy.Adapter):
        return adapter
    if isinstance(adapter, str) and adapter in _ADAPTERS:
        return getattr(dspy, _ADAPTERS[adapter])()
    raise InputError(f"unknown adapter {adapter!r}; use one of {', '.join(_ADAPTERS)} or a dspy.Adapter")


_adapter_cache: dict[str, Any] = {}


def _configured_adapter(name: Any) -> Any:
    """``dspex.configure(adapter="json")`` as a dspy adapter (one instance per name)."""
    if isinstance(name, str):
        found = _adapter_cache.get(name)
        if found is None:
            found = _adapter_cache[name] = resolve_adapter(name)
        return found
    return resolve_adapter(name)


def resolve_lm(call_lm: Any, create_lm: Any) -> Any:
    """The dspy LM for a call: the call's, else the module's, else the configured one."""
    lm = call_lm if call_lm is not None else create_lm if create_lm is not None else settings().lm
    if lm is None:
        raise InputError(_NO_LM)
    return to_dspy_lm(lm)


def translate_error(exc: Any, *lms: Any) -> Exception:
    """dspy's errors as dspex's: parse failures keep the raw reply, LM failures their status.

    An LM failure's text passes through :func:`dspex_core._redact.redact` with the keys and
    URL credentials of the dspy LMs in play (``lms``; a compile may use several): providers
    echo keys in 401 messages, connection errors name ``user:password@host``. (The caller
    raises the result ``from None``, so the unredacted original is not chained onto it.)
    """
    from dspex_core._redact import redact
    from dspex_core.errors import AdapterParseError, LMError

    from dspex_dspy._redacting_lm import lm_secrets

    if isinstance(exc, dspy_errors.AdapterParseError):
        fields = ", ".join(getattr(exc.signature, "output_fields", {}) or ())
        return AdapterParseError(f"{exc.adapter_name} could not parse the LM reply into the output fields ({fields})",
                                 raw=str(exc.lm_response), details=exc)
    if isinstance(exc, dspy_errors.LMError):
        secrets = [secret for lm in lms for secret in lm_secrets(lm)]
        return LMError(redact(f"the LM call failed: {type(exc).__name__}: {exc}", *secrets, limit=2000),
                       model=exc.model or "", status=exc.status)
    return exc


def check_options(module_type: str, options: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for {module_type!r} on the dspy "
                         f"backend; accepted: {', '.join(sorted(allowed)) or 'none'}")


def _add_dspex_metadata(path: Any, extra: dict[str, Any]) -> None:
    """Add ``metadata.dspex`` to a JSON dspy just saved (plain dspy ignores it when loading)."""
    import json
    from pathlib import Path

    target = Path(path)
    data = json.loads(target.read_text(encoding="utf-8"))
    data.setdefault("metadata", {})["dspex"] = extra
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


class DspyImplementation:
    """Base of the dspy-backed implementations (see the module docstring)."""

    module_type: str = ""
    #: options ``create`` accepts besides ``lm`` and ``adapter``
    create_options: frozenset[str] = frozenset()
    #: per-call options ``execute`` accepts besides ``lm`` (passed to the dspy module)
    call_options: frozenset[str] = frozenset({"config", "demos"})
    #: whether executing needs a language model
    needs_lm: bool = True

    # -- to implement -----------------------------------------------------------------------
    def build(self, spec: Any, **options: Any) -> Any:
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
        return names, names

    # -- the implementation protocol --------------------------------------------------------
    def create(self, spec: Any, **options: Any) -> str:
        lm = options.pop("lm", None)
        adapter = resolve_adapter(options.pop("adapter", None)) if "adapter" in options else None
        check_options(self.module_type, options, self.create_options)
        module = self.build(spec, **options)
        return self.store(module, lm=lm, adapter=adapter)

    async def acreate(self, spec: Any, **options: Any) -> str:
        return self.create(spec, **options)

    def store(self, module: Any, *, lm: Any = None, adapter: Any = None, session_id: str | None = None) -> str:
        """Put a built dspy module in the store and return its id (the ``ModuleRef`` handle)."""
        if lm is not None and self.needs_lm:
            to_dspy_lm(lm)  # a bad lm= fails at create time, not at the first call
        meta = {"lm": lm, "adapter": adapter, "inputs": self.input_names(module)}
        return store.put(self.module_type, module, session_id=session_id, meta=meta)

    def _prepare(self, state: str, inputs: Mapping[str, Any], options: dict[str, Any]) -> tuple[Any, dict, Any]:
        module, meta = store.entry(state)
        kwargs = dict(inputs)
        names = meta["inputs"]
        if names is not None:
            given = kwargs.keys()
            if not names[1] <= given or not given <= names[0]:
                self._bad_inputs(names, given)
        call_lm = options.pop("lm", None)
        if options:
            check_options(self.module_type + " (call)", options, self.call_options)
            if "demos" in options:
                options["demos"] = to_dspy_demos(options["demos"])
            kwargs.update(options)
        if not self.needs_lm:
            return module, kwargs, (None, None)
        current = settings()
        lm = call_lm if call_lm is not None else meta["lm"] if meta["lm"] is not None else current.lm
        if lm is None:
            raise InputError(_NO_LM)
        adapter = meta["adapter"]
        if adapter is None and current.adapter is not None:
            adapter = _configured_adapter(current.adapter)
        return module, kwargs, (to_dspy_lm(lm), adapter)

    def _bad_inputs(self, names: tuple[frozenset[str], frozenset[str]], given: Any) -> None:
        missing = sorted(names[1] - set(given))
        unknown = sorted(set(given) - names[0])
        parts = []
        if missing:
            parts.append(f"missing input field(s) {', '.join(map(repr, missing))}")
        if unknown:
            parts.append(f"unknown input field(s) {', '.join(map(repr, unknown))}")
        raise InputError(f"{self.module_type}: {'; '.join(parts)}; the inputs are {', '.join(sorted(names[0]))}")

    def execute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, kwargs, (lm, adapter) = self._prepare(state, inputs, options)
        try:
            with dspy.context(lm=lm, adapter=adapter):
                return self.convert(self.call(module, kwargs))
        except DSPyError as exc:
            translated = translate_error(exc, lm)
            if translated is exc:
                raise
            if isinstance(translated, LMError):
                raise translated from None  # the original's text may hold the key
            raise translated from exc

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        module, kwargs, (lm, adapter) = self._prepare(state, inputs, options)
        try:
            with dspy.context(lm=lm, adapter=adapter):
                return self.convert(await self.acall(module, kwargs))
        except DSPyError as exc:
            translated = translate_error(exc, lm)
            if translated is exc:
                raise
            if isinstance(translated, LMError):
                raise translated from None  # the original's text may hold the key
            raise translated from exc

    def call(self, module: Any, kwargs: dict[str, Any]) -> Any:
        return module(**kwargs)

    async def acall(self, module: Any, kwargs: dict[str, Any]) -> Any:
        return await module.acall(**kwargs)

    def convert(self, result: Any) -> Any:
        return from_dspy_prediction(result)

    # -- inspection and persistence ---------------------------------------------------------
    def describe(self, state: str) -> dict[str, Any]:
        from dspex_dspy.programs import describe_module

        return {"module_id": state, **describe_module(store.get(state))}

    def save(self, state: str, path: Any) -> None:
        """Save in dspy's JSON format (``module.save(path)``): loads in plain dspy."""
        from dspex_dspy.programs import save_module

        module = store.get(state)
        save_module(module, path)
        extra = self.dspex_metadata(module)
        if extra:
            _add_dspex_metadata(path, extra)

    def dspex_metadata(self, module: Any) -> dict[str, Any] | None:
        """What ``dspex.load`` needs beyond dspy's state (``module_type``, ``signature``), or ``None``."""
        return None

    def dump_state(self, state: str) -> dict[str, Any]:
        """dspy's own ``dump_state()`` of the stored module."""
        return store.get(state).dump_state()

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> str:
        """Create the module for ``spec`` and apply a saved state with dspy's ``load_state``."""
        return self.load_saved_state(spec, state_dict, **options)

    def load(self, state: str, path: Any) -> None:
        """Load a dspy-format JSON (saved by dspex or plain dspy) into the stored module."""
        from dspex_dspy.programs import load_into

        load_into(store.get(state), path)

    def load_saved_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> str:
        """Create the module for ``spec`` and apply a saved state the dspy way (``module.load_state``).

        Returns the stored module's id. dspy's own errors about a state that does not fit
        become :class:`InputError`; the half-made module is freed.
        """
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
