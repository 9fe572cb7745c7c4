"""dspex-otel: OpenTelemetry traces and metrics for dspex, following the GenAI semantic conventions.

Installed, it listens to every dspex call (both backends): module calls, LM requests, tools,
evaluations and pipeline runs become spans, and LM requests record the metrics
``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration``. It reports to the
global OpenTelemetry providers unless told otherwise::

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider())          # plus an exporter of your choice

    import dspex_otel
    dspex_otel.configure(capture_content=True)           # message content: off by default

The plugin registers its callback through the ``dspex.backends`` entry point (the
``dspex_register_callbacks`` hook) when dspex builds its registry; ``DSPEX_DISABLE_PLUGINS=otel``
turns it off. An API key never reaches a span or a metric: only named request settings are read.
"""

from __future__ import annotations

from typing import Any

from dspex_otel._version import __version__

__all__ = ["OTelCallback", "configure", "callback", "__version__"]

#: the process's callback (not named ``_callback``: that is the submodule's name in this package)
_instance: Any = None


def callback() -> Any:
    """The process's :class:`OTelCallback` (made on first use, with the global providers)."""
    global _instance
    if _instance is None:
        from dspex_otel._callback import OTelCallback

        _instance = OTelCallback()
    return _instance


def configure(*, tracer_provider: Any = None, meter_provider: Any = None, capture_content: bool | None = None) -> Any:
    """Point the plugin's callback at ``tracer_provider`` / ``meter_provider`` (``None``: the global
    ones) and set whether message content is recorded (``None``: as
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` says). Returns the callback."""
    if capture_content is not None and not isinstance(capture_content, bool):
        raise TypeError(f"capture_content must be True, False or None, got {capture_content!r}")
    found = callback()
    found.setup(tracer_provider, meter_provider, capture_content)
    return found


def __getattr__(name: str) -> Any:
    if name == "OTelCallback":
        from dspex_otel._callback import OTelCallback

        return OTelCallback
    raise AttributeError(f"module 'dspex_otel' has no attribute {name!r}")
