"""What a native predictor accepts: create options, call options and LM settings, checked.

``create`` takes DSPy's module options (``lm``, ``demos``, ``instructions``, ``adapter``) and
LM settings (kept as the module's config, as DSPy's ``Predict(**config)``); anything else is
rejected with the list of what is accepted, so a typo never passes silently. The checks here
run at create time, once, so that a call does as little as possible.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import LM, Signature, is_custom_lm
from dspex_core.errors import InputError

from dspex_native.adapters import ADAPTERS

#: LM settings accepted as create options (stored as the module's config, as DSPy's ``**config``).
LM_SETTINGS = frozenset({
    "temperature", "max_tokens", "max_completion_tokens", "n", "rollout_id", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "logit_bias", "response_format",
    "reasoning_effort", "user", "timeout", "num_retries", "cache",
})
CREATE_OPTIONS = frozenset({"lm", "demos", "instructions", "adapter", "config"})
EXECUTE_OPTIONS = frozenset({"lm", "config", "demos"})

#: DSPy adapters that only the dspy backend serves (name -> DSPy class).
DSPY_ONLY_ADAPTERS = {"xml": "XMLAdapter"}


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
        if not isinstance(extra_config, Mapping):
            raise InputError(f"{module_type}: config must be a dict of LM settings")
        config.update(extra_config)
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


def input_names_error(module_type: str, names: Any, given: Any) -> InputError:
    """The error for a call whose input fields are not exactly ``names`` (missing and unknown ones
    named, in the dspy backend's words); callers check with their own fast test first."""
    missing = sorted(name for name in names if name not in given)
    unknown = sorted(name for name in given if name not in names)
    parts = []
    if missing:
        parts.append(f"missing input field(s) {', '.join(map(repr, missing))}")
    if unknown:
        parts.append(f"unknown input field(s) {', '.join(map(repr, unknown))}")
    return InputError(f"{module_type}: {'; '.join(parts)}; the inputs are {', '.join(sorted(names))}")


def demo_list(demos: Any, where: str) -> list:
    """Demos (``Example`` objects or dicts) as plain dicts, which the prompt is built from."""
    if demos is None:
        return []
    if isinstance(demos, (str, bytes)) or not hasattr(demos, "__iter__"):
        raise InputError(f"{where}: demos must be a list of dspex.Example or dicts, got {type(demos).__name__}")
    out = []
    for index, demo in enumerate(demos):
        # A plain dict first: optimizers pass one per demo of every state they build, and
        # ``isinstance`` against ``typing.Mapping`` costs more than the copy itself.
        if type(demo) is dict:
            out.append(demo.copy())
        elif isinstance(demo, Mapping):
            out.append(dict(demo))
        elif hasattr(demo, "toDict"):
            out.append(demo.toDict())
        else:
            raise InputError(f"{where}: demo {index} must be a dspex.Example or a dict, got {type(demo).__name__}")
    return out


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
