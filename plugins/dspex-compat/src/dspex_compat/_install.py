"""Which ``dspy`` an ``import dspy`` finds: the layer's or the real one.

The layer is a package literally named ``dspy`` in :data:`SHIM_DIR`, so its modules have
DSPy's module names (``dspy.primitives.module``, ...) and nothing hooks the import system.
Putting that folder first on ``sys.path`` selects the layer; taking it out (and forgetting the
``dspy`` modules already imported from it) gives the real package back.
"""

from __future__ import annotations

import os
import sys

__all__ = ["SHIM_DIR", "install", "uninstall", "installed"]

#: The folder holding the layer's ``dspy`` package.
SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_shim")


def installed() -> bool:
    """Whether ``import dspy`` resolves (or resolved) to the layer."""
    module = sys.modules.get("dspy")
    if module is not None:
        return _from_shim(module)
    import importlib.util

    spec = importlib.util.find_spec("dspy")  # a top-level name: found, not imported
    return spec is not None and _from_shim(spec)


def install() -> None:
    """Make ``import dspy`` resolve to the layer, in this process, from now on.

    A real ``dspy`` imported earlier is forgotten (objects made from it keep working, but new
    imports get the layer), so call this before the program imports dspy.
    """
    if sys.path and _same(sys.path[0], SHIM_DIR) and _layer_or_absent():
        return
    sys.path.insert(0, SHIM_DIR)  # an entry further down (the .pth one) stays for uninstall()
    _forget(lambda module: not _from_shim(module))
    import importlib

    importlib.invalidate_caches()


def uninstall() -> None:
    """Give ``import dspy`` back to the real package (when one is installed).

    The layer's ``dspy`` modules are forgotten; the ``.pth`` entry after site-packages stays,
    so where no real dspy is installed ``import dspy`` still finds the layer.
    """
    if sys.path and _same(sys.path[0], SHIM_DIR):
        del sys.path[0]
    _forget(_from_shim)
    import importlib

    importlib.invalidate_caches()


def _layer_or_absent() -> bool:
    module = sys.modules.get("dspy")
    return module is None or _from_shim(module)


def _forget(which) -> None:
    for name in [n for n in sys.modules if n == "dspy" or n.startswith("dspy.")]:
        module = sys.modules.get(name)
        if module is not None and which(module):
            del sys.modules[name]


def _from_shim(module: object) -> bool:
    """Whether a module (or a module spec) comes from the layer's folder."""
    path = getattr(module, "__file__", None) or getattr(module, "origin", None) or ""
    return bool(path) and os.path.abspath(path).startswith(SHIM_DIR + os.sep)


def _same(entry: str, folder: str) -> bool:
    try:
        return os.path.abspath(entry or os.curdir) == folder
    except (TypeError, ValueError):
        return False
