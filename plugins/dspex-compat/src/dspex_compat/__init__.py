"""dspex-compat: unmodified DSPy programs on dspex.

``install()`` makes ``import dspy`` (and ``dspy.*``) resolve to a layer with DSPy 3.4's public API
whose predictors are dspex references, routed like any other; ``uninstall()`` gives the real
``dspy`` back when it is installed. ``python -m dspex_compat script.py [args]`` runs a DSPy
script on the layer. Without real dspy installed, ``import dspy`` finds the layer by itself
(the distribution's ``dspex_compat.pth`` appends it to ``sys.path`` after site-packages).
"""

from __future__ import annotations

from dspex_compat._install import SHIM_DIR, install, installed, uninstall

__version__ = "0.1.0"

__all__ = ["install", "uninstall", "installed", "SHIM_DIR", "__version__"]
