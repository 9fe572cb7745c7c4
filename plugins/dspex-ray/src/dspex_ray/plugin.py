"""The plugin module dspex loads: it registers the ``ray`` executor (and imports no Ray)."""

from __future__ import annotations

from typing import Callable

from dspex_core.backend import hookimpl


@hookimpl
def dspex_register_executors(register: Callable[..., None]) -> None:
    """``ray``: made from ``executor_options`` (``address``, ``num_cpus``, ...) by :class:`RayExecutor`."""
    from dspex_ray._executor import RayExecutor

    register("ray", RayExecutor)
