"""DSPy names the layer does not serve yet: reading one raises an error that names it.

Kept as one table so ``dspy.X`` and ``from dspy.sub import X`` say the same thing, and
docs/compat.md lists the same names.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NOT_BUILT", "not_built"]

#: name -> where DSPy defines it
NOT_BUILT = {
    "MIPROv2": "dspy.teleprompt",
    "GEPA": "dspy.teleprompt", "BootstrapFinetune": "dspy.teleprompt",
}


def not_built(module: str, name: str) -> Any:
    """The error for a DSPy name the layer does not serve (an ``AttributeError`` for unknown names)."""
    if name in NOT_BUILT and not name.startswith("__"):
        return NotImplementedError(
            f"{NOT_BUILT[name]}.{name} is not built in dspex-compat yet; docs/compat.md lists what the layer "
            "serves (install dspy to run this program on it)")
    return AttributeError(f"module {module!r} has no attribute {name!r}")
