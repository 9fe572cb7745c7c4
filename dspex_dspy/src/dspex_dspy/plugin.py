"""The ``dspy`` backend's entry point: registers one implementation per file in
:mod:`dspex_dspy.modules`.

Each file there is named after the module type it serves and defines ``implementation``. The
hook registers a stand-in for each (:mod:`dspex_dspy._lazy`) found by listing the folder, not by
importing the files: they import dspy, which takes seconds, and listing backends or building
the registry must not pay that. Adding a module type is therefore adding one file.
"""

from __future__ import annotations

import pkgutil
from typing import Any, Callable

from dspex_core.backend import hookimpl, module_types

from dspex_dspy import modules
from dspex_dspy._lazy import LazyImplementation, lazy

BACKEND = "dspy"
PRIORITY = 10


def served_module_types() -> list[str]:
    """The module types in :mod:`dspex_dspy.modules` (one per file), programs first and then
    in the module-type table's order, which is how ``dspex backends`` lists them."""
    table = list(module_types())

    def order(name: str) -> tuple[bool, int, str]:
        row = module_types().get(name)
        return (row is None or row.kind != "module", table.index(name) if row is not None else len(table), name)

    return sorted((found.name for found in pkgutil.iter_modules(modules.__path__)), key=order)


@hookimpl
def dspex_register_implementations(register: Callable[..., Any]) -> None:
    """One ``register`` call per module type served through real dspy."""
    for module_type in served_module_types():
        register(module_type, lazy(module_type, f"{modules.__name__}.{module_type}:implementation"),
                 backend=BACKEND, native=False, priority=PRIORITY)


@hookimpl
def dspex_session_end(session: Any) -> None:
    """Free the dspy modules of a session that ended; their references become unusable."""
    from dspex_dspy import store

    store.free_session(session.id)


def implementation_for(module_type: str) -> Any:
    """The dspy backend's implementation of ``module_type``, loaded (what compiling, wrapping
    and loading programs use to build dspy modules of another module type)."""
    from dspex_core import registry
    from dspex_core.errors import ModuleTypeNotServedError

    found = registry.lookup(BACKEND, module_type)
    if found is None:
        raise ModuleTypeNotServedError(f"the dspy backend does not serve {module_type!r} (or is disabled); it serves: "
                                       f"{', '.join(registry.list_by_implementation().get(BACKEND, [])) or 'nothing'}")
    impl = found.implementation
    return impl.load() if isinstance(impl, LazyImplementation) else impl
