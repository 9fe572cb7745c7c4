"""The implementation ``best_of_n``, ``refine`` and ``retry`` share: DSPy's ``BestOfN`` or ``Refine``.

A module-type file subclasses :class:`RewardLoopImplementation`, names its module type and says
whether it refines (asks for advice between attempts: ``Refine``) or not (``BestOfN``).

A call checks what the dspy backend checks, in its order, before any LM call: the inputs against
the wrapped module's (missing or unknown fields), the call options (only ``lm=``), and that there
is an LM (the call's ``lm=``, else the loop's, else the wrapped module's, else
``dspex.settings().lm``). The loop's ``adapter=`` applies to every predictor call inside, as the
dspy backend runs the loop under that adapter (a wrapped module created with its own ``adapter=``
keeps it natively).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, input_rules
from dspex_core.config import settings as current_settings
from dspex_core.errors import InputError

from dspex_native import _not_implemented
from dspex_native.predictor.rendering import first_request
from dspex_native.reward import saved
from dspex_native.reward.attempts import Attempts, arun, run
from dspex_native.reward.state import LoopState, build
from dspex_native.reward.wrapped import named_predictors

CALL_OPTIONS = frozenset({"lm"})
_CONFIGURE_HINT = ("configure an LM: dspex.configure(lm=dspex.LM('openai/gpt-4o-mini')), pass lm= to create(), "
                   "or pass lm= to this call")


class RewardLoopImplementation(Implementation):
    """``create(module_ref, N=, reward_fn=, threshold=, fail_count=None, lm=None, adapter=None)``;
    ``execute(state, inputs, lm=None)`` returns the wrapped module's best prediction."""

    module_type = ""
    #: ``Refine`` (advice between attempts) rather than ``BestOfN``
    refines = False
    not_implemented = _not_implemented.REWARD_LOOP

    def create(self, spec: Any = None, **options: Any) -> LoopState:
        return build(self.module_type, spec, options, self.refines)

    async def acreate(self, spec: Any = None, **options: Any) -> LoopState:
        return self.create(spec, **options)  # no I/O

    def _start(self, state: LoopState, inputs: Any, options: Mapping[str, Any]) -> Attempts:
        if not isinstance(inputs, Mapping):
            raise InputError(f"{self.module_type}: inputs must be a mapping of field names to values, "
                             f"got {type(inputs).__name__}")
        names = state.inputs
        if names is not None and (not names <= inputs.keys() or not inputs.keys() <= names):
            inputs = input_rules.check_inputs(self.module_type, names, inputs)  # raises, or drops ignored names
        unknown = sorted(set(options) - CALL_OPTIONS)
        if unknown:
            raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for '{self.module_type} (call)'; "
                             f"accepted: {', '.join(sorted(CALL_OPTIONS))}")
        lm = options.get("lm")
        if lm is None:
            lm = state.lm if state.lm is not None else current_settings().lm
            if lm is None:
                raise InputError(f"no LM for this {self.module_type} call; {_CONFIGURE_HINT}")
        named = named_predictors(self.module_type, state.wrapped) if self.refines else None
        return Attempts(state, dict(inputs), lm, self.refines, named)

    def execute(self, state: LoopState, inputs: Mapping[str, Any], **options: Any) -> Any:
        attempts = self._start(state, inputs, options)
        if state.adapter == "auto":
            return run(attempts)
        from dspex_core.config import context

        with context(adapter=state.adapter):
            return run(attempts)

    async def aexecute(self, state: LoopState, inputs: Mapping[str, Any], **options: Any) -> Any:
        attempts = self._start(state, inputs, options)
        if state.adapter == "auto":
            return await arun(attempts)
        from dspex_core.config import context

        with context(adapter=state.adapter):
            return await arun(attempts)

    def render(self, state: LoopState, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The first attempt's first request (its rollout and temperature set as the loop sets
        them), without calling the LM."""
        return first_request(self.module_type, lambda: self.execute(state, inputs, **options))

    def named_predictors(self, state: LoopState) -> list[tuple[str, Any]]:
        """DSPy's names of the wrapped module's predictors, under ``module`` (``module``, ``module.predict``)."""
        return [(saved.PREFIX if name == "self" else f"{saved.PREFIX}.{name}", predictor)
                for name, predictor in named_predictors(self.module_type, state.wrapped)]

    def describe(self, state: LoopState) -> dict[str, Any]:
        return saved.describe(state)

    def dump_state(self, state: LoopState) -> dict[str, Any]:
        """DSPy's ``dump_state()`` of the equivalent ``dspy.BestOfN``/``dspy.Refine``."""
        return saved.dump_state(state)

    def save(self, state: LoopState, path: Any) -> None:
        """DSPy's JSON state file (``module.save("x.json")``): the wrapped module's state under ``module``."""
        from dspex_native.predictor import dspy_state

        dspy_state.write(path, saved.dump_state(state))

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> LoopState:
        """A loop around ``spec`` (the wrapped ``ModuleRef``) with the wrapped module's saved state applied."""
        return saved.load_state(self.create(spec, **options), state_dict)
