"""The escape hatch to dspy: ``dspex.wrap(dspy_module)`` and ``dspex.dspy_call("dspy.path", ...)``.

dspex wraps DSPy's module types one by one; everything else DSPy has stays reachable without
leaving dspex. Both go through the ``dspy_module`` module type, served by the dspy backend like
any other, so the core never imports dspy:

* :func:`wrap` makes a reference of a dspy module built by hand; it runs, evaluates, joins
  pipelines and lives in sessions like a module dspex made (``ref.unwrap()`` gives it back).
* :func:`dspy_call` calls any attribute of dspy by its dotted path inside ``dspy.context`` with
  dspex's LM (and adapter), and returns what it returns.
"""

from __future__ import annotations

from typing import Any

from dspex_core import _api
from dspex_core._module_ref import ModuleRef
from dspex_core.errors import BackendNotInstalledError, InputError, ModuleTypeNotServedError

MODULE_TYPE = "dspy_module"
_HINT = "the dspy backend serves it: pip install dspex-dspy"


def wrap(module: Any, *, implementation: str | None = None, **options: Any) -> ModuleRef:
    """A reference to ``module`` (a ``dspy.Module`` instance), run by the dspy backend under dspex's
    LM; ``options`` are the ``dspy_module`` type's create options (``lm``, ``adapter``)."""
    if isinstance(module, ModuleRef):
        raise InputError(f"dspex.wrap takes a dspy module built by hand; {module!r} is already a dspex module")
    try:
        return _api.create(MODULE_TYPE, module, implementation=implementation, **options)
    except ModuleTypeNotServedError as exc:
        raise ModuleTypeNotServedError(f"dspex.wrap: {exc} ({_HINT})") from None


def dspy_call(path: str, *args: Any, **kwargs: Any) -> Any:
    """Call the dspy attribute at ``path`` (``"dspy.evaluate.answer_exact_match"``,
    ``"dspy.Predict"``, ...) with ``args`` and ``kwargs`` inside ``dspy.context`` with dspex's
    configured LM and adapter, and return its result as dspy returns it."""
    if not isinstance(path, str) or not (path == "dspy" or path.startswith("dspy.")):
        raise InputError(f"dspex.dspy_call takes the dotted path of a dspy attribute, such as "
                         f"'dspy.evaluate.answer_exact_match'; got {path!r}")
    try:
        ref = _api.create(MODULE_TYPE, path, implementation="dspy")
    except (ModuleTypeNotServedError, BackendNotInstalledError) as exc:
        raise type(exc)(f"dspex.dspy_call: {exc} ({_HINT})") from None
    return _api.execute(ref, {"args": list(args), "kwargs": dict(kwargs)})["result"]
