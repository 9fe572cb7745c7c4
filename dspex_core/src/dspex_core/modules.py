"""One facade class per module type: ``dspex.ChainOfThought.create("question -> answer")``.

A facade holds no state and no implementation; it names a module type and forwards to the
generic :func:`~dspex_core.create` / :func:`~dspex_core.execute`, so the router decides which
backend serves it. The facades are made from the module-type table
(:func:`dspex_core.backend.module_types`), one per row that names one.

The ``signature`` module type's facade is :class:`~dspex_core.Signature` itself
(``dspex.Signature.create("a: int -> b")``). A signature is plain data and does not import
the API that runs modules, so its facade methods are attached to it here.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core import _api
from dspex_core._module_ref import ModuleRef
from dspex_core._module_types import module_types
from dspex_core._signature import Signature
from dspex_core.errors import InputError, SignatureError


class ModuleFacade:
    """Base of the facades; subclasses set ``module_type``."""

    module_type: str = ""

    @classmethod
    def create(cls, spec: Any = None, *, implementation: str | None = None, **options: Any) -> ModuleRef:
        """Create the module on the best (or the named) backend; see docs/module-types.md for
        what ``spec`` and ``options`` are for this module type."""
        return _api.create(cls.module_type, spec, implementation=implementation, **options)

    @classmethod
    async def acreate(cls, spec: Any = None, *, implementation: str | None = None, **options: Any) -> ModuleRef:
        """The async twin of :meth:`create`."""
        return await _api.acreate(cls.module_type, spec, implementation=implementation, **options)

    @classmethod
    def execute(cls, ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Run a module made by :meth:`create` on ``inputs``."""
        cls._check(ref)
        return _api.execute(ref, inputs, **options)

    @classmethod
    async def aexecute(cls, ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """The async twin of :meth:`execute`."""
        cls._check(ref)
        return await _api.aexecute(ref, inputs, **options)

    @classmethod
    def _check(cls, ref: Any) -> None:
        if isinstance(ref, ModuleRef) and ref.module_type != cls.module_type:
            raise InputError(f"{cls.__name__}.execute got a {ref.module_type!r} module; "
                             f"use dspex.execute(ref, ...) or the matching facade")


#: What ``spec`` is, by the table's ``spec`` value.
_SPEC_DOC = {
    "signature": "a signature: a string such as ``'question -> answer'``, a ``dspex.Signature`` or a "
                 "class-based signature",
    "module": "the ``ModuleRef`` of the module to wrap",
    "template": "the template string (or pass ``template=``)",
    "metric name": "the metric's name (``'exact_match'``, ``'f1'``, ...)",
    "none": "none: everything is an option",
}
#: The options every backend serving a kind takes (each backend documents its others).
_OPTIONS_DOC = {
    "module": "``lm`` (a ``dspex.LM`` or LM object; default: ``dspex.settings().lm``), ``demos`` (examples or "
              "dicts), ``instructions``, ``adapter`` (``'chat'``, ``'json'``), ``config`` and LM settings "
              "(``temperature``, ``max_tokens``, ``n``, ``rollout_id``, ...)",
    "step": "the step's own (``strict``, ``template``, ``output``, ``fields``, ...) and, for a signature with "
            "outputs, ``predict``'s",
    "metric": "the metric's own (``frac`` for ``answer_exact_match``)",
    "evaluation": "``devset``, ``metric``, ``num_threads``, ``max_errors``, ``failure_score``, ``display_progress``, "
                  "``executor``",
    "optimizer": "``metric`` and the DSPy optimizer's own (``max_bootstrapped_demos``, ``max_labeled_demos``, "
                 "``auto``, ...); then ``dspex.compile(optimizer, program, trainset=...)``",
    "retriever": "the retriever's own (``url``, ``k``, ``rm``, ...)",
}

_WRAPPER_OPTIONS = ("the wrapper's own (``N``, ``reward_fn``, ``threshold``, ``fail_count`` for the reward loops; "
                    "``num_threads``, ``max_errors``, ``timeout``, ... for ``parallel``) and ``lm``")


def _create_doc(row: Any) -> str:
    return (f"Create a {row.name!r} module ({row.summary}) on the best installed backend.\n\n"
            f"``spec``: {_SPEC_DOC.get(row.spec, row.spec)}.\n\n"
            f"``implementation``: a backend's name (``'native'``, ``'dspy'``, a plugin's) to use that one, "
            f"``'auto'``/``None`` to let the router choose.\n\n"
            f"Options: {_WRAPPER_OPTIONS if row.spec == 'module' else _OPTIONS_DOC.get(row.kind, 'see below')}. Each backend's full list, and what "
            f"``execute`` takes and returns: docs/module-types.md (\"The contract of each module type\"); an "
            f"unknown option is an ``InputError`` naming it. Returns a ``ModuleRef``, callable on the inputs.")


def _facade(row: Any) -> type[ModuleFacade]:
    def create(cls: type[ModuleFacade], spec: Any = None, *, implementation: str | None = None,
               **options: Any) -> ModuleRef:
        return _api.create(cls.module_type, spec, implementation=implementation, **options)

    create.__doc__ = _create_doc(row)  # what help(dspex.Predict.create) shows: this type's spec and options
    create.__qualname__ = f"{row.facade}.create"
    return type(row.facade, (ModuleFacade,), {"module_type": row.name, "__doc__": row.summary,
                                              "__module__": __name__, "create": classmethod(create)})


#: Every facade class, in the table's order (``Signature`` is the ``signature`` type's).
FACADES: tuple[type[ModuleFacade], ...] = tuple(
    _facade(row) for row in module_types().values() if row.facade is not None and row.name != "signature"
)
globals().update({facade.__name__: facade for facade in FACADES})

__all__ = ["ModuleFacade", "FACADES", "facade_for", "facade_names", *(facade.__name__ for facade in FACADES)]


def facade_for(module_type: str) -> type[ModuleFacade] | type[Signature] | None:
    """The facade class of a module type, if the table names one."""
    if module_type == "signature":
        return Signature
    for facade in FACADES:
        if facade.module_type == module_type:
            return facade
    return None


def facade_names() -> dict[str, str]:
    """module type -> the name users create it by (``Predict`` for ``dspex.Predict``)."""
    return {row.name: row.facade for row in module_types().values() if row.facade is not None}


# -- Signature as the facade of the signature module type ---------------------------------------

def _signature_create(cls: type[Signature], spec: Any = None, **options: Any) -> ModuleRef:
    """Create a ``signature`` module: a typed step that checks and coerces its inputs (and asks
    the LM for the outputs, when the signature has any). A class-based signature is its own spec."""
    if spec is None:
        if cls is Signature:
            raise SignatureError("Signature.create needs a spec such as 'query -> keywords: list[str]'")
        spec = cls
    return _api.create("signature", spec, **options)


async def _signature_acreate(cls: type[Signature], spec: Any = None, **options: Any) -> ModuleRef:
    """The async twin of :meth:`Signature.create`."""
    if spec is None:
        if cls is Signature:
            raise SignatureError("Signature.acreate needs a spec such as 'query -> keywords: list[str]'")
        spec = cls
    return await _api.acreate("signature", spec, **options)


def _signature_execute(ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
    """Run a ``signature`` module made by :meth:`Signature.create`."""
    return _api.execute(ref, inputs, **options)


async def _signature_aexecute(ref: ModuleRef, inputs: Mapping[str, Any] | None = None, **options: Any) -> Any:
    """The async twin of :meth:`Signature.execute`."""
    return await _api.aexecute(ref, inputs, **options)


Signature.create = classmethod(_signature_create)  # type: ignore[attr-defined]
Signature.acreate = classmethod(_signature_acreate)  # type: ignore[attr-defined]
Signature.execute = staticmethod(_signature_execute)  # type: ignore[attr-defined]
Signature.aexecute = staticmethod(_signature_aexecute)  # type: ignore[attr-defined]
