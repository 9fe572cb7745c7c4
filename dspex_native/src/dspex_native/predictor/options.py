"""What a native predictor accepts: create options, call options and LM settings, checked.

``create`` takes DSPy's module options (``lm``, ``demos``, ``instructions``, ``adapter``) and
LM settings (kept as the module's config, as DSPy's ``Predict(**config)``); anything else is
rejected with the list of what is accepted, so a typo never passes silently. The checks here
run at create time, once, so that a call does as little as possible.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Mapping

from dspex_core.backend import LM, Signature, demo_dicts, input_rules, is_custom_lm, settings_rules
from dspex_core.errors import InputError

from dspex_native.adapters import ADAPTERS

#: LM settings accepted as create options (stored as the module's config, as DSPy's ``**config``).
LM_SETTINGS = settings_rules.PREDICTOR_SETTINGS
CREATE_OPTIONS = frozenset({"lm", "demos", "instructions", "adapter", "config"})
EXECUTE_OPTIONS = frozenset({"lm", "config", "demos"})

#: DSPy adapters that only the dspy backend serves (name -> DSPy class): none at present
#: (chat, json and xml are native); one listed here is refused with a CapabilityError.
DSPY_ONLY_ADAPTERS: dict[str, str] = {}


def split_options(module_type: str, options: dict[str, Any], extra: frozenset = frozenset()) -> tuple[dict, dict]:
    """Separate module options from LM settings; reject anything unknown."""
    module_opts, config = {}, {}
    for key, value in options.items():
        if key in CREATE_OPTIONS or key in extra:
            module_opts[key] = value
        elif key in LM_SETTINGS:
            config[key] = value
        else:
            accepted = sorted(CREATE_OPTIONS | extra) + ["LM settings: " + ", ".join(sorted(LM_SETTINGS))]
            raise InputError(f"{module_type}: unknown option {key!r}; accepted: {', '.join(accepted)} "
                             f"(other LM settings go in config={{...}})")
    extra_config = module_opts.pop("config", None)
    if extra_config is not None:
        config.update(settings_rules.check_settings(module_type, extra_config))
    settings_rules.check_settings(module_type, config)  # temperature="hot", n=0: the core's rule
    return module_opts, config


def resolve_signature(spec: Any, instructions: Any, module_type: str) -> Signature:
    """The module's signature from ``create``'s spec, with ``instructions=`` applied."""
    if spec is None:
        raise InputError(f"{module_type} needs a signature such as 'question -> answer'")
    signature = Signature.coerce(spec)
    if instructions is not None:
        if not isinstance(instructions, str):
            raise InputError(f"{module_type}: instructions must be a string")
        signature = signature.with_instructions(instructions)
    return signature


#: Names a predictor call takes besides its input fields (DSPy's ``Predict`` moves a
#: ``prediction`` of OpenAI's predicted-outputs shape into the request).
PREDICTOR_EXTRA_INPUTS = frozenset({"prediction"})


#: Names a module's own step is given besides its inputs, set by the module around that step
#: (:class:`step_extras`): ProgramOfThought keeps ``previous_code`` and ``error`` among its answer
#: step's inputs, as DSPy's does (its trace records them). They are the module's doing, not the
#: caller's, so they are passed on without the warning about ignored inputs.
STEP_EXTRAS: ContextVar[frozenset] = ContextVar("dspex_native_step_extras", default=frozenset())


class step_extras:  # noqa: N801 - used as a context manager, like contextlib's
    """``with step_extras(names):`` the predictor calls inside accept ``names`` besides their inputs."""

    __slots__ = ("names", "token")

    def __init__(self, names: frozenset):
        self.names = names
        self.token: Any = None

    def __enter__(self) -> None:
        self.token = STEP_EXTRAS.set(self.names)

    def __exit__(self, *exc: Any) -> None:
        STEP_EXTRAS.reset(self.token)


def checked_inputs(module_type: str, fmt: Any, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """A predictor call's inputs, checked by the core's rule (:mod:`dspex_core.backend.input_rules`)
    against ``fmt``'s input fields: a missing or misspelt one is an :class:`InputError`, an
    ``Optional`` one may be left out, other names are ignored with a warning. ``prediction``
    (OpenAI's predicted outputs, which the request takes out of the inputs) is accepted.
    Called only when the names are not exactly the inputs (the caller's frozenset test)."""
    extras = STEP_EXTRAS.get()
    return input_rules.check_inputs(module_type, fmt.input_set, inputs, required=fmt.required_inputs,
                                    accepted=PREDICTOR_EXTRA_INPUTS | extras if extras else PREDICTOR_EXTRA_INPUTS)


demo_list = demo_dicts  # the core's rule for demos, shared with third-party predictors


def lm_problem(lm: Any, where: str) -> InputError | None:
    """The :class:`InputError` that says what an LM must be when ``lm`` is none (``None`` is fine)."""
    if lm is None or isinstance(lm, LM) or is_custom_lm(lm):
        return None
    if isinstance(lm, str):
        return InputError(f"{where}: lm must be dspex.LM({lm!r}) or an LM object, not the string {lm!r}")
    return InputError(f"{where}: lm must be a dspex.LM or an object implementing the LM protocol, "
                      f"got {type(lm).__name__}")


def check_adapter(module_type: str, adapter: Any) -> str:
    """The adapter a module was created with: ``"auto"`` when none was given (then
    ``dspex.settings().adapter`` decides at call time, as DSPy reads ``settings.adapter``)."""
    if adapter is None:
        return "auto"
    adapter = adapter or "chat"
    if adapter in DSPY_ONLY_ADAPTERS:
        raise adapter_not_built(module_type, adapter)
    if adapter not in ADAPTERS:
        raise InputError(f"{module_type}: adapter must be one of {', '.join(ADAPTERS)}, got {adapter!r}")
    return adapter


def adapter_not_built(module_type: str, adapter: str, asked: str = "") -> Exception:
    """The :class:`CapabilityError` for an adapter native does not have (``asked`` says where
    it was asked for): a real DSPy adapter, so the router may fall back to dspy."""
    from dspex_core.errors import CapabilityError

    what = f"DSPy's {DSPY_ONLY_ADAPTERS[adapter]}" if adapter in DSPY_ONLY_ADAPTERS else f"the adapter {adapter!r}"
    return CapabilityError(f"{module_type}: the native backend does not implement {what} yet{asked} (it has "
                           f"{', '.join(ADAPTERS)}); use implementation='dspy' or allow_fallback=True")
