"""``mipro_v2`` through ``dspy.MIPROv2`` (see :mod:`dspex_dspy.optimizers._mipro`)."""

from __future__ import annotations

from dspex_dspy.optimizers._mipro import MIPROv2Implementation


class MIPROv2Impl(MIPROv2Implementation):
    """``mipro_v2``: DSPy's MIPROv2, options as DSPy names them."""

    module_type = "mipro_v2"


implementation = MIPROv2Impl()
