"""``multi_chain_comparison`` through ``dspy.MultiChainComparison``: compare M reasoning attempts."""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import dspy
from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation
from dspex_dspy._building import build_signature, set_demos
from dspex_dspy.translate import to_dspy_prediction


class MultiChainComparisonImpl(DspyImplementation):
    """``dspy.MultiChainComparison``: ``create(signature, M=3)``, executed with ``completions=[...]``.

    ``completions`` are M predictions or dicts with ``reasoning`` (or ``rationale``) and the
    signature's last output field, plus the signature's inputs.
    """

    renders = True  # its first request, as dspy would send it (dspex_dspy._render)

    module_type = "multi_chain_comparison"
    create_options = frozenset({"M", "temperature", "instructions", "demos"})
    call_options = frozenset({"config"})

    def build(self, spec: Any, *, M: int = 3, temperature: float = 0.7, instructions: str | None = None,  # noqa: N803
              demos: Any = None) -> Any:
        if not isinstance(M, int) or isinstance(M, bool) or M < 1:
            raise InputError(f"M must be a positive integer (the number of completions to compare), got {M!r}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # dspy's own MCC passes the deprecated prefix=
            module = dspy.MultiChainComparison(build_signature(spec, instructions), M=M, temperature=temperature)
        if demos is not None:
            set_demos(module, demos)
        return module

    def input_names(self, module: Any) -> tuple[frozenset[str], frozenset[str]]:
        names = frozenset(name for name in module.predict.signature.input_fields
                          if not name.startswith("reasoning_attempt_"))
        return names | {"completions"}, names | {"completions"}

    def call(self, module: Any, kwargs: dict[str, Any]) -> Any:
        kwargs["completions"] = self._completions(module, kwargs["completions"])
        return module(**kwargs)

    async def acall(self, module: Any, kwargs: dict[str, Any]) -> Any:
        # dspy.MultiChainComparison has no aforward (its acall fails): run forward in a worker
        # thread, which inherits dspy's context (the LM and adapter of this call). The call is made
        # from this module (self.call), so dspex_dspy's filter of dspy's legacy-LM warning applies.
        import asyncio

        return await asyncio.to_thread(self.call, module, kwargs)

    @staticmethod
    def _completions(module: Any, completions: Any) -> list[Any]:
        if isinstance(completions, (str, bytes, Mapping)) or not hasattr(completions, "__iter__"):
            raise InputError("completions must be a list of predictions or dicts")
        out = [to_dspy_prediction(c) if not isinstance(c, Mapping) else dict(c) for c in completions]
        if len(out) != module.M:
            raise InputError(f"multi_chain_comparison was created with M={module.M} and got {len(out)} completions; "
                             f"pass exactly M completions")
        for index, completion in enumerate(out):
            if completion.get("rationale", completion.get("reasoning")) is None:
                raise InputError(f"completions[{index}] has no 'reasoning' (or 'rationale') field")
            if module.last_key not in completion:
                raise InputError(f"completions[{index}] has no {module.last_key!r} field (the signature's last output)")
        return out


implementation = MultiChainComparisonImpl()
