"""``mipro`` through ``dspy.MIPROv2`` (see :mod:`dspex_dspy.optimizers._mipro`)."""

from __future__ import annotations

from dspex_dspy.optimizers._mipro import MIPROv2Implementation


class MIPROImpl(MIPROv2Implementation):
    """``mipro``: DSPy 3.4 no longer has the original ``MIPRO`` class (it was replaced by
    ``MIPROv2``), so ``mipro`` is served by ``dspy.MIPROv2`` with the same options."""

    module_type = "mipro"


implementation = MIPROImpl()
