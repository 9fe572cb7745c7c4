"""``simba`` through ``dspy.SIMBA``.

SIMBA asserts that the trainset holds at least one mini-batch (``bsize`` examples); dspex says so
before any LM call instead.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

from dspex_dspy.optimizers._base import OptimizerImplementation


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"simba: {name} must be a positive integer, got {value!r}")


class SIMBAImpl(OptimizerImplementation):
    """``dspy.SIMBA``: stochastic introspective mini-batch ascent. Each step samples a mini-batch,
    runs the program several times on it (at raised temperatures), and for the examples whose
    scores vary most either appends a successful trace as a demo or asks the LM (or
    ``prompt_model``) for a rule to add to the instructions. create options: ``metric``
    (required), ``bsize`` (32), ``num_candidates`` (6), ``max_steps`` (8), ``max_demos`` (4),
    ``prompt_model``, ``teacher_settings``, ``demo_input_field_maxlen``, ``num_threads``,
    ``temperature_for_sampling``, ``temperature_for_candidates``. compile option: ``seed`` (0)."""

    module_type = "simba"
    dspy_class_name = "SIMBA"
    bootstraps = False

    def check_config(self, options: Mapping[str, Any]) -> None:
        for name in ("bsize", "num_candidates", "max_steps"):
            _positive(name, options.get(name, 1))

    def check_compile(self, config: Mapping[str, Any], options: Mapping[str, Any], trainset: list[Any],
                      valset: list[Any] | None) -> None:
        bsize = config.get("bsize", 32)
        if len(trainset) < bsize:
            raise InputError(f"simba: the trainset has {len(trainset)} examples, fewer than one mini-batch "
                             f"(bsize={bsize}); give more examples or create SIMBA with a smaller bsize=")


implementation = SIMBAImpl()
