"""The plugin module dspex loads: it installs the OpenTelemetry callback for the whole process."""

from __future__ import annotations

from typing import Callable

from dspex_core.backend import hookimpl


@hookimpl
def dspex_register_callbacks(register: Callable[..., None]) -> None:
    """The one :class:`~dspex_otel.OTelCallback` (the same object across registry refreshes)."""
    from dspex_otel import callback

    register(callback())
