"""The ``native`` backend's entry point: registers one implementation per file of
:mod:`dspex_native.modules`.

Each file there is named after the module type it serves and holds its ``implementation``,
so serving another module type natively means adding a file, not editing this one. The files
are found and imported only when the registry asks for implementations, so importing this
module costs no more than the core's ``hookimpl``.
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_core.backend import hookimpl, module_types

BACKEND = "native"
#: Registration order is what ``dspex backends`` (and the README's table made from it) lists:
#: LM modules, then pipeline steps, metrics and evaluation, then the other kinds (optimizers,
#: retrievers) together, each group in the module-type table's order.
_KIND_ORDER = ("module", "step", "metric", "evaluation")


def _order(name: str) -> tuple:
    table = list(module_types())
    row = module_types().get(name)
    if row is None:  # a module type of the backend's own: after the table's
        return (len(_KIND_ORDER) + 1, 0, name)
    kind = _KIND_ORDER.index(row.kind) if row.kind in _KIND_ORDER else len(_KIND_ORDER)
    return (kind, table.index(name), name)


@hookimpl
def dspex_register_implementations(register: Callable[..., Any]) -> None:
    """Register every file of ``dspex_native.modules`` as the implementation of its module type."""
    import importlib
    import pkgutil

    from dspex_native import modules

    for name in sorted((info.name for info in pkgutil.iter_modules(modules.__path__)), key=_order):
        module = importlib.import_module(f"{modules.__name__}.{name}")
        register(name, module.implementation, backend=BACKEND, native=True, priority=100)
