"""``copro`` through ``dspy.COPRO``.

``breadth`` and ``depth`` are checked at ``create``: DSPy would reject them only after
scoring the program, with LM calls already spent.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

from dspex_dspy.optimizers._base import OptimizerImplementation


class COPROImpl(OptimizerImplementation):
    """``dspy.COPRO``: coordinate ascent over each predictor's instructions and output
    prefix; the LM (or ``prompt_model``) proposes ``breadth`` candidates per round for
    ``depth`` rounds, each scored on the trainset. create options: ``metric`` (required),
    ``prompt_model``, ``breadth`` (10, must be > 1), ``depth`` (3), ``init_temperature``,
    ``track_stats``. compile option: ``eval_kwargs`` (for ``dspy.Evaluate``)."""

    module_type = "copro"
    dspy_class_name = "COPRO"
    bootstraps = False

    def check_config(self, options: Mapping[str, Any]) -> None:
        breadth = options.get("breadth", 10)
        if isinstance(breadth, bool) or not isinstance(breadth, int) or breadth <= 1:
            raise InputError(f"copro: breadth must be an integer greater than 1, got {breadth!r}")
        depth = options.get("depth", 3)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise InputError(f"copro: depth must be a positive integer, got {depth!r}")


implementation = COPROImpl()
