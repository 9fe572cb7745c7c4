"""Which options a DSPy optimizer takes, read from its own signatures.

dspex passes optimizer options straight to DSPy, so the list of valid options is DSPy's:
the parameters of the optimizer class's ``__init__`` (for ``create``) and of its
``compile`` (for ``dspex.compile(...)``). Reading them with :mod:`inspect` keeps dspex in
step with the installed DSPy and lets an unknown option fail with the list of valid ones,
instead of a ``TypeError`` deep inside DSPy.
"""

from __future__ import annotations

import inspect
from typing import Any, Iterable, Mapping

from dspex_core.errors import InputError


def parameter_names(fn: Any, skip: Iterable[str] = ()) -> tuple[str, ...]:
    """Named parameters of ``fn`` (no ``self``, ``*args`` or ``**kwargs``), in order."""
    skipped = {"self", *skip}
    names = []
    for name, param in inspect.signature(fn).parameters.items():
        if name in skipped or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        names.append(name)
    return tuple(names)


def required_names(fn: Any, skip: Iterable[str] = ()) -> tuple[str, ...]:
    """Parameters of ``fn`` that have no default."""
    skipped = {"self", *skip}
    return tuple(name for name, param in inspect.signature(fn).parameters.items()
                 if name not in skipped and param.default is param.empty
                 and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD))


def check_known(module_type: str, where: str, given: Mapping[str, Any], valid: Iterable[str]) -> None:
    """Reject options that are not in ``valid``, naming every valid one."""
    valid = tuple(valid)
    unknown = [name for name in given if name not in valid]
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(map(repr, unknown))} for {module_type!r} {where}; "
                         f"valid: {', '.join(valid) or 'none'}")
