"""The program an optimizer works on: a native module, copied with new demos per predictor.

DSPy's optimizers change a program by setting ``predictor.demos`` on copies of it
(``reset_copy``/``deepcopy``). A native module's state is not mutated in place; instead a
copy is made through DSPy's own state format: ``dump_state`` of the module, each named
predictor's ``demos`` replaced, ``load_state`` back. That is the path a program saved by DSPy
takes when it is loaded natively (byte-identical prompts), so a compiled program runs, saves
and loads as any loaded one does. An implementation offers it by having ``named_predictors``,
``dump_state`` and ``load_state``; one without them cannot be optimized natively (a
:class:`~dspex_core.errors.CapabilityError`, so the router can compile on another backend).

A program compiled by a bootstrapping optimizer is marked (DSPy's ``_compiled``), because
DSPy refuses to bootstrap it again and uses such a teacher's demos as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dspex_core.backend import LRUCache, ModuleRef, current_session_id, module_ref, module_type as table_row
from dspex_core.errors import CapabilityError, InputError

#: id(state) -> state, for the states a bootstrapping optimizer compiled (DSPy's ``_compiled``)
_compiled: LRUCache[int, Any] = LRUCache(4096)
_NEEDS = ("named_predictors", "dump_state", "load_state")


def mark_compiled(state: Any) -> None:
    _compiled.put(id(state), state)


def is_compiled(state: Any) -> bool:
    return _compiled.get(id(state)) is state


class Program:
    """A native module to optimize: its implementation, how it was created and its state."""

    __slots__ = ("implementation", "module_type", "spec", "options", "state", "ref")

    def __init__(self, ref: ModuleRef, state: Any = None):
        self.ref = ref
        self.implementation = ref.implementation
        self.module_type = ref.module_type
        self.spec = ref.spec
        self.options = dict(ref.options or {})
        self.state = ref.state if state is None else state

    @classmethod
    def of(cls, ref: Any, optimizer: str, role: str = "program") -> "Program":
        """``ref`` checked: a native program (not an optimizer) whose predictors can be listed and
        whose state round-trips through DSPy's format."""
        if not isinstance(ref, ModuleRef):
            raise InputError(f"the {role} must be a ModuleRef from dspex.create(...) (e.g. dspex.Predict.create(...)), "
                             f"got {type(ref).__name__}")
        row = table_row(ref.module_type)
        if row is not None and row.kind == "optimizer":
            raise InputError(f"the {role} is an optimizer ({ref.module_type!r}); call "
                             f"dspex.compile(optimizer, program, trainset=...) with the optimizer first and the "
                             f"program to optimize second")
        if ref.backend != "native":
            raise CapabilityError(f"{optimizer}: the native backend optimizes native programs; this {role} "
                                  f"({ref.module_type!r}) runs on backend {ref.backend!r}: create it with "
                                  f"implementation='native', or the optimizer with implementation={ref.backend!r}")
        missing = [name for name in _NEEDS if not callable(getattr(ref.implementation, name, None))]
        if missing:
            raise CapabilityError(f"{optimizer}: the native {ref.module_type!r} implementation has no "
                                  f"{', '.join(missing)}, which native optimizers need to set its demos")
        program = cls(ref)
        if not program.predictor_names():
            raise InputError(f"a {ref.module_type!r} module has no predictors for an optimizer to tune")
        return program

    # -- what it is --------------------------------------------------------------------------
    def named_predictors(self, state: Any = None) -> list[tuple[str, Any]]:
        return list(self.implementation.named_predictors(self.state if state is None else state))

    def predictor_names(self) -> list[str]:
        return [name for name, _ in self.named_predictors()]

    def demos(self) -> dict[str, list[Any]]:
        """Each predictor's demos as it has them now (a teacher compiled earlier keeps its own)."""
        return {name: list(state.demos) for name, state in self.named_predictors()}

    def input_names(self) -> frozenset[str] | None:
        """The program's input fields, where its description lists them."""
        try:
            names = self.implementation.describe(self.state).get("inputs")
        except Exception:  # noqa: BLE001 - a description is optional here
            return None
        if not names:
            return None
        row = table_row(self.module_type)
        return frozenset(names) | frozenset(row.extra_inputs if row is not None else ())

    @property
    def lm(self) -> Any:
        return self.options.get("lm")

    # -- copies --------------------------------------------------------------------------------
    def with_demos(self, demos: Mapping[str, list[Any]]) -> Any:
        """A new state: this one with each named predictor's demos replaced (others unchanged),
        by the implementation's own ``with_demos(state, demos)`` where it has one."""
        direct = getattr(self.implementation, "with_demos", None)
        if direct is not None:
            return direct(self.state, {name: [_demo_dict(item) for item in items] for name, items in demos.items()})
        saved = self.implementation.dump_state(self.state)
        for name, items in demos.items():
            target = saved if name == "self" else saved.get(name)
            if not isinstance(target, dict) or "demos" not in target:
                raise CapabilityError(f"the native {self.module_type!r} implementation does not save its predictor "
                                      f"{name!r} under that name, so its demos cannot be set")
            target["demos"] = [_demo_dict(item) for item in items]
        return self.implementation.load_state(self.spec, saved, **self.options)

    def signatures(self, state: Any = None) -> dict[str, dict[str, Any]]:
        """Each predictor's signature as DSPy saves it: ``{"instructions": ..., "fields": [{"prefix",
        "description"}, ...]}``, the instructions as DSPy reads them and every prefix spelled out."""
        saved = self.implementation.dump_state(self.state if state is None else state)
        return {name: self._target(saved, name)["signature"] for name in self.predictor_names()}

    def with_instructions(self, updates: Mapping[str, tuple[str, str]], state: Any = None) -> Any:
        """A new state: each named predictor with new instructions and a new prefix for its last
        field (DSPy's ``signature.with_instructions(i).with_updated_fields(last, prefix=p)``)."""
        saved = self.implementation.dump_state(self.state if state is None else state)
        for name, (instructions, prefix) in updates.items():
            signature = self._target(saved, name)["signature"]
            signature["instructions"] = _as_given(instructions)
            signature["fields"][-1]["prefix"] = prefix
        return self.implementation.load_state(self.spec, saved, **self.options)

    def with_candidate(self, instructions: Mapping[str, str], demos: Mapping[str, list[Any]] | None = None) -> Any:
        """A new state: each named predictor with new instructions (its fields unchanged) and,
        when given, new demos (DSPy's ``signature.with_instructions(i)`` and ``predictor.demos = d``)."""
        saved = self.implementation.dump_state(self.state)
        for name, text in instructions.items():
            self._target(saved, name)["signature"]["instructions"] = _as_given(text)
        for name, items in (demos or {}).items():
            self._target(saved, name)["demos"] = [_demo_dict(item) for item in items]
        return self.implementation.load_state(self.spec, saved, **self.options)

    def fields(self, name: str) -> list[tuple[str, str, str]]:
        """Predictor ``name``'s fields as ``(name, "input"/"output", prefix)``, inputs first (DSPy's
        ``signature.fields``), each prefix as DSPy spells it out."""
        predictor = dict(self.named_predictors())[name]
        signature = predictor.signature
        names = [(field, "input") for field in signature.input_fields] + \
                [(field, "output") for field in signature.output_fields]
        prefixes = [field["prefix"] for field in self.signatures()[name]["fields"]]
        return [(field, kind, prefix) for (field, kind), prefix in zip(names, prefixes)]

    def _target(self, saved: dict[str, Any], name: str) -> dict[str, Any]:
        target = saved if name == "self" else saved.get(name)
        if not isinstance(target, dict) or "signature" not in target:
            raise CapabilityError(f"the native {self.module_type!r} implementation does not save its predictor "
                                  f"{name!r} under that name, so its signature cannot be set")
        return target

    def compiled(self, state: Any, *, bootstrapped: bool) -> ModuleRef:
        """A reference to ``state`` as a program of this module type (marked when bootstrapped)."""
        if bootstrapped:
            mark_compiled(state)
        return module_ref("native", self.module_type, state, spec=self.spec, options=self.options,
                          session_id=current_session_id())


def _demo_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    to_dict = getattr(item, "toDict", None)
    if callable(to_dict):
        return dict(to_dict())
    raise InputError(f"a demo must be an Example or a dict, got {type(item).__name__}")


def _as_given(instructions: str) -> str | None:
    """Instructions given to DSPy's ``with_instructions``, for a saved state: ``""`` is its default
    sentence there (``None`` to :func:`~dspex_native.predictor.dspy_state.apply_signature_state`),
    where a saved ``""`` is empty instructions, as DSPy's ``load_state`` sets it."""
    return None if instructions == "" else instructions
