"""The native ``retry`` module type, with DSPy 3's ``Refine`` semantics.

DSPy 3 removed ``dspy.Retry``; ``dspy.Refine`` replaces it, and the dspy backend serves ``retry``
with it. So does native: ``retry`` is :mod:`refine` under its own name (same options, requests,
messages and saved state).
"""

from __future__ import annotations

from dspex_native.modules.refine import RefineImplementation


class RetryImplementation(RefineImplementation):
    """``retry``: ``refine`` (DSPy 3 has no Retry; see the module docstring)."""

    module_type = "retry"


implementation = RetryImplementation()
