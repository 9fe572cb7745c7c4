"""The ``native`` backend's entry point: registers the module types it implements."""

from __future__ import annotations

from typing import Any, Callable

from dspex_core import hookimpl

BACKEND = "native"


@hookimpl
def dspex_register_implementations(register: Callable[..., Any]) -> None:
    """Native implementations are registered here as they are built."""
