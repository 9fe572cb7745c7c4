"""What the kit can and cannot say about a backend: its module types, sorted by coverage.

A backend may register module types the kit has no property for (``react``, ``refine``, a
type of its own). Those are *not covered*: nothing checks them, and every report (``dspex
parity``, its ``--json``, the ``BackendConformance`` run) names them instead of staying
silent. A covered type the reference does not serve gets the contract checks only.
"""

from __future__ import annotations

#: A module type the kit checks fully (parity and contract).
CHECKED = "checked"
#: A module type the kit covers, but the reference does not serve: contract checks only.
CONTRACT_ONLY = "contract only (the reference does not serve it)"
#: A module type the kit has no property for: nothing was checked.
NOT_COVERED = "not covered by the kit"


def registered(backend: str) -> list[str]:
    """The module types ``backend`` registers, in registration order."""
    from dspex_core import registry

    return list(registry.list_by_implementation().get(backend, ()))


def not_covered(backend: str) -> list[str]:
    """The module types ``backend`` registers that the kit has no property for."""
    from dspex_core.testing._conformance_runner import KIT_MODULE_TYPES

    return [t for t in registered(backend) if t not in KIT_MODULE_TYPES]


def coverage(backend: str, reference: str) -> dict[str, str]:
    """``{module type: CHECKED | CONTRACT_ONLY | NOT_COVERED}`` for every type ``backend`` registers."""
    from dspex_core.testing._conformance_runner import KIT_MODULE_TYPES, serves

    out = {}
    for module_type in registered(backend):
        if module_type not in KIT_MODULE_TYPES:
            out[module_type] = NOT_COVERED
        elif not serves(reference, module_type):
            out[module_type] = CONTRACT_ONLY
        else:
            out[module_type] = CHECKED
    return out
