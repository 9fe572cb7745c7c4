"""Each test gets fresh OpenTelemetry SDK providers (an in-memory span exporter and metric reader)
that the plugin's callback reports to, a clean dspex configuration, and one local LM server."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import dspex_core as dspex
import dspex_otel
from dspex_core import config, registry
from dspex_core.testing.server import LocalLMServer

#: planted where a key goes; no span, attribute or metric may ever contain it
PLANTED_KEY = "sk-planted-0123456789abcdef"
REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
COT_REPLY = "[[ ## reasoning ## ]]\nIt is.\n\n[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"


class Replies:
    """The local server's answers: the queued ones first, then ``default``."""

    def __init__(self) -> None:
        self.queue: list[str] = []
        self.default = REPLY

    def __call__(self, messages, settings) -> str:
        return self.queue.pop(0) if self.queue else self.default


class Telemetry:
    """The in-memory exporter and reader of one test, and shortcuts to read them."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self) -> list:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list:
        return [s for s in self.spans() if s.name == name]

    def points(self, metric: str) -> list:
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for m in scope.metrics:
                    if m.name == metric:
                        found.extend((m, p) for p in m.data.data_points)
        return found

    def everything(self) -> str:
        """Every span and metric, as the exporters would send them."""
        data = self.reader.get_metrics_data()
        return "\n".join([s.to_json() for s in self.spans()] + [data.to_json() if data else ""])


@pytest.fixture
def otel():
    found = Telemetry()
    dspex_otel.configure(tracer_provider=found.tracer_provider, meter_provider=found.meter_provider,
                         capture_content=False)
    config.reset()
    registry.refresh()
    yield found
    config.reset()
    dspex_otel.configure(capture_content=False)


@pytest.fixture(scope="session")
def server():
    with LocalLMServer(Replies()) as running:
        yield running


@pytest.fixture
def replies(server) -> Replies:
    return server.responder


@pytest.fixture
def lm(server):
    server.reset()
    server.clear_faults()
    server.responder.queue.clear()
    server.responder.default = REPLY
    return dspex.LM("openai/local", api_base=server.url, api_key=PLANTED_KEY, cache=False, num_retries=0)


def parent_of(span, spans):
    """The span whose id is ``span``'s parent, or ``None``."""
    parent = span.parent
    return next((s for s in spans if parent is not None and s.context.span_id == parent.span_id), None)
