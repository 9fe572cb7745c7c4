"""The native ``mipro``: DSPy 3.4 has no ``MIPRO`` class any more (``MIPROv2`` replaced it), so
``mipro`` is the native ``mipro_v2`` under its older name, with the same options and results."""

from __future__ import annotations

from dspex_native.modules.mipro_v2 import MIPROv2Implementation


class MIPROImplementation(MIPROv2Implementation):
    """``mipro_v2``'s implementation, registered as ``mipro``."""

    module_type = "mipro"


implementation = MIPROImplementation()
