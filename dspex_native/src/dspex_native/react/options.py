"""What a native ReAct agent accepts: create options and call options, checked before any LM call.

``create`` takes the dspy backend's react options (``tools``, ``max_iters``, ``instructions``,
``demos``, ``lm``, ``adapter``) plus the LM settings a predictor takes (applied to both of the
agent's predictors, as ``Predict(**config)`` would be). A call takes ``lm``, ``config`` and
``max_iters`` (DSPy pops ``max_iters`` from the inputs), and exactly the signature's input
fields, as the dspy backend checks them.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import input_rules
from dspex_core.config import settings as _settings
from dspex_core.errors import InputError

from dspex_native.predictor.options import lm_problem

CREATE_EXTRA = frozenset({"tools", "max_iters"})
CALL_OPTIONS = frozenset({"lm", "config", "max_iters"})
DEFAULT_MAX_ITERS = 20
_CONFIGURE_HINT = ("configure an LM: dspex.configure(lm=dspex.LM('openai/gpt-4o-mini')), pass lm= to create(), "
                   "or pass lm= to this call")


def check_max_iters(value: Any, *, at_least: int = 1) -> int:
    """``max_iters`` as given, if it is an integer of at least ``at_least`` (1 at create; a call may
    ask for 0 iterations: only the final extraction)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < at_least:
        kind = "positive" if at_least >= 1 else "non-negative"
        raise InputError(f"max_iters must be a {kind} integer, got {value!r}")
    return value


def check_inputs(names: tuple[str, ...], inputs: Any, module_type: str = "react") -> dict[str, Any]:
    """The call's inputs, which must be exactly the signature's input fields."""
    if not isinstance(inputs, Mapping):
        raise InputError(f"{module_type}: inputs must be a mapping of field names to values, "
                         f"got {type(inputs).__name__}")
    if len(inputs) != len(names) or any(name not in inputs for name in names):
        inputs = input_rules.check_inputs(module_type, names, inputs)  # raises, or drops ignored names
    return dict(inputs)


def call_options(state: Any, options: Mapping[str, Any]) -> tuple[Any, Any, int]:
    """``(lm, config, max_iters)`` of one call; the LM is the call's, else the module's, else the
    configured one."""
    for key in options:
        if key not in CALL_OPTIONS:
            unknown = sorted(set(options) - CALL_OPTIONS)
            raise InputError(f"{state.module_type}: unknown call option(s) {unknown}; accepted: "
                             f"{', '.join(sorted(CALL_OPTIONS))}")
    max_iters = options.get("max_iters")
    max_iters = state.max_iters if max_iters is None else check_max_iters(max_iters, at_least=0)
    config = options.get("config")
    if config is not None and not isinstance(config, Mapping):
        raise InputError(f"{state.module_type}: config must be a dict of LM settings")
    lm = options.get("lm")
    if lm is None:
        lm = state.lm if state.lm is not None else _settings().lm
        if lm is None:
            raise InputError(f"no LM for this {state.module_type} call; {_CONFIGURE_HINT}")
    problem = lm_problem(lm, state.module_type)
    if problem is not None:
        raise problem
    return lm, config, max_iters
