"""The ``dspy`` backend's entry point: registers the module types it serves.

``dspy`` itself is imported lazily, when a module is first created, so that listing
backends stays fast.
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_core import hookimpl

BACKEND = "dspy"


@hookimpl
def dspex_register_implementations(register: Callable[..., Any]) -> None:
    """dspy-backed implementations are registered here as they are built."""
