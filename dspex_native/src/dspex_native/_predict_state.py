"""A native predict module's state and how ``create`` builds it from DSPy-style options.

:class:`PredictState` holds the signature, demos, config (LM settings, as DSPy's
``Predict(**config)``), the module's LM and adapter, and the prompt parts precomputed from
them (the format and the demos' messages). Unknown options are rejected with the list of
accepted ones.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core._lm import LM, is_custom_lm
from dspex_core._signature import Signature
from dspex_core.errors import InputError

from dspex_native.adapters import ADAPTERS, get_format, json_format

#: LM settings accepted as create options (stored as the module's config, as DSPy's ``**config``).
LM_SETTINGS = frozenset({
    "temperature", "max_tokens", "max_completion_tokens", "n", "rollout_id", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "logit_bias", "response_format",
    "reasoning_effort", "user", "timeout", "num_retries", "cache",
})
CREATE_OPTIONS = frozenset({"lm", "demos", "instructions", "adapter", "config"})
EXECUTE_OPTIONS = frozenset({"lm", "config", "demos"})


class PredictState:
    """A native predict module: its signature, demos, config and precomputed prompt parts."""

    __slots__ = ("module_type", "signature", "demos", "config", "lm", "adapter", "format", "demo_messages",
                 "_json_demo_messages")

    def __init__(self, module_type: str, signature: Signature, demos: list, config: dict, lm: Any, adapter: str):
        self.module_type = module_type
        self.signature = signature
        self.demos = demos
        self.config = config
        self.lm = lm
        self.adapter = adapter
        self.format = get_format(signature, "json" if adapter == "json" else "chat")
        self.demo_messages = tuple(self.format.demo_messages(demos))
        self._json_demo_messages: tuple | None = None

    def json_demo_messages(self) -> tuple:
        """The demos in JSON format (built on the first fallback only)."""
        if self._json_demo_messages is None:
            self._json_demo_messages = tuple(json_format(self.signature).demo_messages(self.demos))
        return self._json_demo_messages

    def __repr__(self) -> str:
        return (f"PredictState({self.module_type}, {self.signature.signature!r}, demos={len(self.demos)}, "
                f"adapter={self.adapter!r}, config={self.config!r})")


# -- create -------------------------------------------------------------------------------------

def _demo_list(demos: Any, where: str) -> list:
    if demos is None:
        return []
    if isinstance(demos, (str, bytes)) or not hasattr(demos, "__iter__"):
        raise InputError(f"{where}: demos must be a list of dspex.Example or dicts, got {type(demos).__name__}")
    out = []
    for index, demo in enumerate(demos):
        if isinstance(demo, Mapping):
            out.append(dict(demo))
        elif hasattr(demo, "toDict"):
            out.append(demo.toDict())
        else:
            raise InputError(f"{where}: demo {index} must be a dspex.Example or a dict, got {type(demo).__name__}")
    return out


def _check_lm(lm: Any, where: str) -> Any:
    if lm is None or isinstance(lm, LM) or is_custom_lm(lm):
        return lm
    if isinstance(lm, str):
        raise InputError(f"{where}: lm must be dspex.LM({lm!r}) or an LM object, not the string {lm!r}")
    raise InputError(f"{where}: lm must be a dspex.LM or an object implementing the LM protocol, "
                     f"got {type(lm).__name__}")


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


#: DSPy adapters that only the dspy backend serves (name -> DSPy class).
DSPY_ONLY_ADAPTERS = {"xml": "XMLAdapter"}


def adapter_not_built(module_type: str, adapter: str, asked: str = "") -> Exception:
    """The :class:`CapabilityError` for an adapter native does not have (``asked`` says where
    it was asked for): a real DSPy adapter, so the router may fall back to dspy."""
    from dspex_core.errors import CapabilityError

    what = f"DSPy's {DSPY_ONLY_ADAPTERS[adapter]}" if adapter in DSPY_ONLY_ADAPTERS else f"the adapter {adapter!r}"
    return CapabilityError(f"{module_type}: the native backend does not implement {what} yet{asked} (it has "
                           f"{', '.join(ADAPTERS)}); use implementation='dspy' or allow_fallback=True")


def build_state(module_type: str, signature: Signature, options: dict[str, Any], config: dict[str, Any]) -> PredictState:
    adapter = options.get("adapter") or "chat"
    if options.get("adapter") is None:
        adapter = "auto"  # dspex.settings().adapter at call time (as DSPy reads settings.adapter), else chat
    elif adapter in DSPY_ONLY_ADAPTERS:
        raise adapter_not_built(module_type, adapter)
    elif adapter not in ADAPTERS:
        raise InputError(f"{module_type}: adapter must be one of {', '.join(ADAPTERS)}, got {adapter!r}")
    demos = _demo_list(options.get("demos"), module_type)
    lm = _check_lm(options.get("lm"), module_type)
    return PredictState(module_type, signature, demos, config, lm, adapter)


def resolve_signature(spec: Any, instructions: Any, module_type: str) -> Signature:
    if spec is None:
        raise InputError(f"{module_type} needs a signature such as 'question -> answer'")
    signature = Signature.coerce(spec)
    if instructions is not None:
        if not isinstance(instructions, str):
            raise InputError(f"{module_type}: instructions must be a string")
        signature = signature.with_instructions(instructions)
    return signature
