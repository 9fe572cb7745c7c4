"""Building one pipeline step: reading the step tuple, creating its module, learning its fields.

A step is ``(implementation, module, options)`` or ``(implementation, module)``. The module
is a facade class, a module-type name, or a ``ModuleRef`` made already (a loaded program's
predictor: it is used as it is). Otherwise it is created through the router (so ``"auto"`` is a real routing decision, with fallback),
and what it reads and produces is asked of the module itself (``describe()``), because only
the backend knows for sure (a ``signature`` step produces its inputs *and* its outputs, a
template reads the variables it names). When the backend does not say, a step whose spec is
a signature reads its input fields and produces its output fields (plus the extra fields its
module type adds, such as ``chain_of_thought``'s ``reasoning``, from the module-type table).
Anything else cannot be checked at build time, and the error says how to fix it.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core import _api, _router
from dspex_core._module_ref import ModuleRef
from dspex_core._dspy_signatures import is_dspy_signature
from dspex_core._module_types import TEMPLATE, module_type as _row
from dspex_core.errors import DspexError, InputError

#: What a step tuple looks like, for error messages.
STEP_SHAPE = ("(implementation, module, options) or (implementation, module), e.g. "
              "('auto', dspex.ChainOfThought, {'signature': 'question -> answer'})")


class StepPlan:
    """A step tuple, read and checked, before its module is created."""

    __slots__ = ("index", "name", "implementation", "module_type", "spec", "options", "ref")

    def __init__(self, index: int, name: str, implementation: str, module_type: str, spec: Any,
                 options: dict[str, Any], ref: Any = None):
        self.index = index
        self.name = name
        self.implementation = implementation
        self.module_type = module_type
        self.spec = spec
        self.options = options
        #: the step's module when the step tuple gave an existing ``ModuleRef`` (nothing to create)
        self.ref = ref


def read_step(raw: Any, index: int) -> StepPlan:
    """Check one step tuple's shape and split its options into name, spec and create options."""
    where = f"pipeline step {index}"
    if not isinstance(raw, (tuple, list)) or len(raw) not in (2, 3):
        got = f"a {len(raw)}-item {type(raw).__name__}" if isinstance(raw, (tuple, list)) else type(raw).__name__
        raise InputError(f"{where} must be {STEP_SHAPE}; got {got}")
    implementation, module = raw[0], raw[1]
    options = raw[2] if len(raw) == 3 else {}
    if not isinstance(implementation, str) or not implementation:
        raise InputError(f"{where}: the implementation (first item) must be a backend name such as 'native', "
                         f"'dspy' or 'auto', got {implementation!r}; a step is {STEP_SHAPE}")
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise InputError(f"{where}: the options (third item) must be a dict such as "
                         f"{{'signature': 'question -> answer'}}, got {type(options).__name__}; a step is {STEP_SHAPE}")
    existing = module if isinstance(module, ModuleRef) else None
    module_type, default_spec = (existing.module_type, existing.spec) if existing else module_type_of(module, where)
    options = dict(options)
    name = options.pop("name", None)
    if name is None:
        name = f"{index}:{module_type}"
    elif not isinstance(name, str) or not name:
        raise InputError(f"{where}: 'name' must be a non-empty string, got {name!r}")
    if existing is not None:
        return _existing_step(existing, index, name, implementation, options, where)
    spec = default_spec
    given = [key for key in ("spec", "signature") if key in options]
    if len(given) > 1:
        raise InputError(f"{where} ({name!r}): give the spec as 'spec' or as 'signature', not both")
    if given:
        spec = options.pop(given[0])
    elif _spec_option(module_type) in options:
        spec = options.pop(_spec_option(module_type))
    return StepPlan(index, name, implementation, module_type, spec, options)


def _existing_step(ref: Any, index: int, name: str, implementation: str, options: dict[str, Any],
                   where: str) -> StepPlan:
    """A step whose module is a reference made already (``dspex.load``'s, a created one): it runs
    where it was made, so the implementation must be ``"auto"`` or that backend, and there is
    nothing to create (only ``name`` may be given)."""
    if implementation not in ("auto", ref.backend):
        raise InputError(f"{where} ({name!r}): the module is a ModuleRef on backend {ref.backend!r}; give "
                         f"'auto' or {ref.backend!r} as the implementation (a reference runs where it was made), "
                         f"got {implementation!r}")
    if options:
        raise InputError(f"{where} ({name!r}): the module is a ModuleRef, created already, so options "
                         f"{', '.join(sorted(options))} cannot apply; only 'name' can be given (pass create "
                         f"options where the reference is made, call options with run_pipeline(step_options=...))")
    return StepPlan(index, name, implementation, ref.module_type, ref.spec, {}, ref)


def _spec_option(module_type: str) -> str | None:
    """The create option that may carry the spec instead (``template=`` for templates)."""
    row = _row(module_type)
    return "template" if row is not None and row.spec == TEMPLATE else None


def module_type_of(module: Any, where: str) -> tuple[str, Any]:
    """``(module_type, default spec)`` of a facade class, ``dspex.Signature`` (or a signature
    class, dspex's or dspy's, which is then its own spec), or a module-type name."""
    from dspex_core._signature import Signature
    from dspex_core.modules import ModuleFacade

    from dspex_core._program import Program

    if isinstance(module, Program):
        raise InputError(f"{where}: the module (second item) is a loaded program with several predictors "
                         f"({', '.join(module.names())}); a step is one of them, e.g. program[{module.names()[0]!r}]")
    if isinstance(module, str):
        if not module:
            raise InputError(f"{where}: the module (second item) is an empty string")
        return module, None
    if isinstance(module, type):
        if issubclass(module, ModuleFacade) and module.module_type:
            return module.module_type, None
        if issubclass(module, Signature):
            return "signature", (None if module is Signature else module)
        if is_dspy_signature(module):  # a dspy.Signature class: a signature step, as a dspex class is
            return "signature", module
    raise InputError(f"{where}: the module (second item) must be a facade class such as dspex.ChainOfThought, "
                     f"dspex.Signature, a module-type name such as 'chain_of_thought', or a ModuleRef made "
                     f"already (dspex.load(...), prog['draft.predict']); got {module!r}")


def create_step(plan: StepPlan) -> tuple[Any, str | None]:
    """The step's module (routed), and the backend that failed at create before it, if any."""
    if plan.ref is not None:
        return plan.ref, None
    explicit = None if plan.implementation == "auto" else plan.implementation
    record: list[tuple[str, str, str, Any]] = []
    token = _router.fallback_record.set(record)
    try:
        ref = _api.create(plan.module_type, plan.spec, implementation=explicit, **plan.options)
    except DspexError as exc:
        _name_the_step(exc, plan)
        raise
    finally:
        _router.fallback_record.reset(token)
    mine = [r for r in record if r[0] == "create" and r[3] == plan.module_type]
    return ref, (mine[0][1] if mine else None)


def _name_the_step(exc: BaseException, plan: StepPlan) -> None:
    """Say which step failed, keeping the error's class (a SignatureError stays one)."""
    prefix = f"pipeline step {plan.name!r} ({plan.implementation} {plan.module_type}): "
    if exc.args and isinstance(exc.args[0], str):
        exc.args = (prefix + exc.args[0], *exc.args[1:])
    elif hasattr(exc, "add_note"):
        exc.add_note(prefix.rstrip(": "))
    else:  # Python 3.10: what add_note does (3.10's traceback does not print notes)
        exc.__notes__ = [*getattr(exc, "__notes__", []), prefix.rstrip(": ")]


def step_fields(ref: Any, plan: StepPlan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(fields read, fields produced)`` by a created step (see the module docstring)."""
    info = ref.describe()
    reads = _names(info.get("inputs", info.get("input_fields")))
    produces = _names(info.get("outputs", info.get("output_fields")))
    if reads is not None and produces is not None:
        return reads, produces
    signature = _signature_of(plan.spec)
    if signature is None:
        raise InputError(
            f"pipeline step {plan.name!r} ({plan.module_type} on {ref.backend}): the fields it reads and produces "
            f"cannot be known (its backend's describe() does not list 'inputs'/'outputs' and its spec is not a "
            f"signature); pass a signature, e.g. {{'signature': 'question -> answer'}}, or use a backend whose "
            f"describe() reports its fields")
    row = _row(plan.module_type)
    extra_inputs, extra_outputs = (row.extra_inputs, row.extra_outputs) if row is not None else ((), ())
    reads = (*signature.input_fields, *extra_inputs)
    extra = tuple(f for f in extra_outputs if f not in signature.output_fields)
    return tuple(dict.fromkeys(reads)), (*extra, *signature.output_fields)


def _names(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _signature_of(spec: Any) -> Any:
    from dspex_core._signature import Signature

    if isinstance(spec, Signature) or (isinstance(spec, type) and issubclass(spec, Signature)
                                       and spec is not Signature) or is_dspy_signature(spec):
        return Signature.coerce(spec)
    if isinstance(spec, str) and "->" in spec:
        return Signature.coerce(spec)  # created already, so it parses; a SignatureError here is real
    return None
