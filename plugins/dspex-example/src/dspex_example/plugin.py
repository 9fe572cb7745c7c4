"""The entry point named in ``pyproject.toml``: one hook, one ``register`` call per module type."""

from __future__ import annotations

from typing import Any, Callable

from dspex_core import hookimpl

from dspex_example.metrics import ExampleMetrics
from dspex_example.predict import ExamplePredict

BACKEND = "example"


@hookimpl
def dspex_register_implementations(register: Callable[..., Any]) -> None:
    """Serve ``metrics`` and ``predict`` in process (``native=True``), below dspex-native's priority."""
    register("metrics", ExampleMetrics(), backend=BACKEND, native=True, priority=-10)
    register("predict", ExamplePredict(), backend=BACKEND, native=True, priority=-10)
