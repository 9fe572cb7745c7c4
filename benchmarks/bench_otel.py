"""The OpenTelemetry plugin's cost per call: a native Predict (and ChainOfThought) without any
listener, and with dspex-otel reporting to the OpenTelemetry SDK.

Run in the tox ``otel`` env (dspex-core, dspex-native, dspex-otel and the SDK)::

    tox -e otel --notest
    .tox/otel/bin/python benchmarks/bench_otel.py
    .tox/otel/bin/python benchmarks/bench_otel.py --baseline-only   # only calls without listeners
                                                                    # (to compare trees: the same rows on main)

The LM is an in-process object that returns a fixed, well-formed reply at once and records a
usage entry as a provider's client does (``dspex_core.usage.record``), so what is measured is
dspex's own path plus the listener's spans and metrics. The SDK runs in process, with its
defaults (parent-based always-on sampling, trace-based exemplars): a ``TracerProvider`` whose
span processor hands each ended span to an exporter that drops it, and a ``MeterProvider`` with
an in-memory reader. The headline uses the ``SimpleSpanProcessor`` (the export on the caller's
thread); the ``BatchSpanProcessor`` column is the production setup (export on the SDK's worker
thread, whose CPU time counts too; spans it had to drop, its queue full, are reported).

Where the added time goes: a listener with empty module and LM handlers (dspex's callback path
alone); a minimal listener making the same SDK calls as dspex-otel with constant attributes and
nothing else (the least any listener could cost for this telemetry); dspex-otel itself. And the
SDK alone doing one Predict call's telemetry without dspex, in a loop of its own (two spans
started, made current and ended, three histogram records).

The variants alternate in batches (10 rounds, the best batch of each kept), switched by the
module globals dspex checks on each call, so load on the machine weighs on each alike; time is
the process's CPU time (``time.process_time``: what the calls cost, the SDK's export thread
included, not the time spent waiting for a core on a shared machine).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings

warnings.filterwarnings("ignore")

_clock = time.process_time
QUESTION = {"question": "What is the capital of France?"}
CASES = {
    "Predict question -> answer": ("predict", "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"),
    "ChainOfThought question -> answer": ("chain_of_thought", "[[ ## reasoning ## ]]\nIt is Paris.\n\n"
                                          "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"),
}
USAGE = {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132}


class FixedLM:
    """A zero-latency LM: the same reply at once, with a usage entry recorded per call."""

    model = "openai/fixed"

    def __init__(self, reply: str, usage: bool = True):
        self.reply = [reply]
        from dspex_core.usage import record

        self._record = record if usage else None

    def __call__(self, messages, **settings):
        if self._record is not None:
            self._record(self.model, USAGE)
        return self.reply


def _batch_size(fn, target: float) -> int:
    fn()
    n = 1
    while True:
        start = _clock()
        for _ in range(n):
            fn()
        if _clock() - start > target:
            return n
        n *= 2


def alternating(fn, variants: list, min_time: float) -> list[float]:
    """Seconds per call of ``fn`` under each variant (a function that switches it on), measured
    in alternating batches, the best batch of each kept."""
    sizes = []
    for switch in variants:
        switch()
        sizes.append(_batch_size(fn, min_time / 20))
    best = [float("inf")] * len(variants)
    for _ in range(10):
        for i, (switch, n) in enumerate(zip(variants, sizes)):
            switch()
            start = _clock()
            for _ in range(n):
                fn()
            best[i] = min(best[i], (_clock() - start) / n)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per measurement")
    parser.add_argument("--baseline-only", action="store_true",
                        help="only the calls without any listener (works on a tree without dspex-otel)")
    args = parser.parse_args()
    import platform

    if args.baseline_only:
        os.environ["DSPEX_DISABLE_PLUGINS"] = "otel"
    import dspex_core as dspex
    from dspex_core import callbacks, config

    print(f"Python {platform.python_version()} on {platform.machine()}\n")
    if args.baseline_only:
        print("| call, no listener | LM reports no usage | LM reports usage |")
        print("|---|---|---|")
        for label, (module, reply) in CASES.items():
            refs = [dspex.create(module, "question -> answer", implementation="native", lm=FixedLM(reply, usage))
                    for usage in (False, True)]
            found = [alternating(lambda ref=ref: ref(**QUESTION), [lambda: None], args.min_time)[0] for ref in refs]
            print(f"| {label} | {found[0] * 1e6:.1f} µs | {found[1] * 1e6:.1f} µs |")
        return

    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (BatchSpanProcessor, SimpleSpanProcessor, SpanExporter,
                                                SpanExportResult)

    import dspex_otel
    from dspex_otel import OTelCallback

    class DroppingExporter(SpanExporter):
        """Drops what it is given, counting it (to tell the spans a batch processor dropped)."""

        def __init__(self) -> None:
            self.exported = 0

        def export(self, spans):
            self.exported += len(spans)
            return SpanExportResult.SUCCESS

    drops = _DropCounter()
    sdk_logger = logging.getLogger("opentelemetry")
    sdk_logger.addHandler(drops)
    sdk_logger.propagate = False
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(DroppingExporter()))
    batched, batch_exporter = TracerProvider(), DroppingExporter()
    batched.add_span_processor(BatchSpanProcessor(batch_exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    listener = dspex_otel.configure(tracer_provider=tracer_provider, meter_provider=meter_provider,
                                    capture_content=False)
    dspex.Predict.create("question -> answer")  # builds the registry: the plugin installs its callback
    assert listener in callbacks._from_plugins, "dspex-otel is not installed in this environment"
    installed = callbacks._from_plugins
    batch_listener = OTelCallback(batched, meter_provider, capture_content=False)
    minimal = MinimalListener(tracer_provider, meter_provider)

    class EmptyHandlers:
        """A listener that does nothing with the events dspex-otel listens to most."""

        def on_module_start(self, call_id, instance, inputs):
            pass

        def on_module_end(self, call_id, outputs, exception=None):
            pass

        def on_lm_start(self, call_id, instance, inputs):
            pass

        def on_lm_end(self, call_id, outputs, exception=None):
            pass

    def listening(found: tuple, content: bool = False):
        def switch() -> None:
            callbacks._from_plugins, config._callbacks_seen = found, bool(found)
            listener.capture_content = content
        return switch

    variants = {"no listener": listening(()), "empty handlers": listening((EmptyHandlers(),)),
                "minimal": listening((minimal,)), "dspex-otel": listening(installed),
                "batch": listening((batch_listener,)), "content": listening(installed, True)}
    floor = _sdk_floor(tracer_provider, meter_provider, args.min_time)
    found = {}
    for label, (module, reply) in CASES.items():
        ref = dspex.create(module, "question -> answer", implementation="native", lm=FixedLM(reply))
        found[label] = dict(zip(variants, alternating(lambda: ref(**QUESTION), list(variants.values()),
                                                      args.min_time)))
    print("| call | no listener | with dspex-otel | added per call | with a BatchSpanProcessor | added | "
          "with message content | added |")
    print("|---|---|---|---|---|---|---|---|")
    for label, t in found.items():
        plain = t["no listener"]
        print(f"| {label} | {_us(plain)} | {_us(t['dspex-otel'])} | {_us(t['dspex-otel'] - plain)} | "
              f"{_us(t['batch'])} | {_us(t['batch'] - plain)} | {_us(t['content'])} | {_us(t['content'] - plain)} |")
    print("\nWhere the added time goes (SimpleSpanProcessor):\n")
    print("| call | callback path (empty handlers) | the SDK's calls (a minimal listener) | dspex-otel's own work |")
    print("|---|---|---|---|")
    for label, t in found.items():
        path = t["empty handlers"] - t["no listener"]
        print(f"| {label} | {_us(path)} | {_us(t['minimal'] - t['empty handlers'])} | "
              f"{_us(t['dspex-otel'] - t['minimal'])} |")
    print(f"\nThe SDK alone, one Predict call's telemetry without dspex (two spans started, made current and "
          f"ended, three histogram records with the same attributes): {_us(floor)} per call.")
    batched.force_flush()
    print(f"The BatchSpanProcessor exported {batch_exporter.exported} spans and dropped {drops.count} "
          f"(its queue full).")
    tracer_provider.shutdown()
    batched.shutdown()


class _DropCounter(logging.Handler):
    """Counts the SDK's "Queue full, dropping Span." warnings (one per span a batch processor drops)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "dropping" in record.getMessage():
            self.count += 1


class MinimalListener:
    """The least a listener can do for the same telemetry: the same SDK calls as dspex-otel (a span
    per module call and per LM request, started with its attributes, made current, the usage set,
    ended; three histogram records in the request's context), with constant attributes and names
    and nothing else: no identity, settings, usage lookup or error handling."""

    def __init__(self, tracer_provider, meter_provider) -> None:
        from opentelemetry import context, trace

        self.tracer = tracer_provider.get_tracer("minimal")
        meter = meter_provider.get_meter("minimal")
        self.tokens, self.duration = meter.create_histogram("minimal.tokens"), meter.create_histogram("minimal.duration")
        self.attach, self.detach, self.in_context = context.attach, context.detach, trace.set_span_in_context
        self.internal, self.client = trace.SpanKind.INTERNAL, trace.SpanKind.CLIENT
        self.module = {"dspex.module.type": "predict", "dspex.backend": "native"}
        self.common = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "fixed"}
        self.input = {**self.common, "gen_ai.token.type": "input"}
        self.output = {**self.common, "gen_ai.token.type": "output"}
        self.open: dict = {}

    def on_module_start(self, call_id, instance, inputs):
        span = self.tracer.start_span("dspex.module predict", kind=self.internal, attributes=self.module)
        self.open[call_id] = (span, self.attach(self.in_context(span)))

    def on_module_end(self, call_id, outputs, exception=None):
        span, token = self.open.pop(call_id)
        span.end()
        self.detach(token)

    def on_lm_start(self, call_id, instance, inputs):
        span = self.tracer.start_span("chat fixed", kind=self.client, attributes=self.common)
        context = self.in_context(span)
        self.open[call_id] = (span, self.attach(context), context, time.perf_counter())

    def on_lm_end(self, call_id, outputs, exception=None):
        span, token, context, started = self.open.pop(call_id)
        duration = time.perf_counter() - started
        span.set_attributes({"gen_ai.usage.input_tokens": USAGE["prompt_tokens"],
                             "gen_ai.usage.output_tokens": USAGE["completion_tokens"]})
        span.end()
        self.detach(token)
        self.duration.record(duration, self.common, context=context)
        self.tokens.record(USAGE["prompt_tokens"], self.input, context=context)
        self.tokens.record(USAGE["completion_tokens"], self.output, context=context)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


def _sdk_floor(tracer_provider, meter_provider, min_time: float) -> float:
    """What the OpenTelemetry SDK alone costs for one Predict call's telemetry: a module span and
    an LM span (started, made current, ended) and the three histogram records."""
    from opentelemetry import context, trace

    tracer = tracer_provider.get_tracer("floor")
    meter = meter_provider.get_meter("floor")
    tokens, duration = meter.create_histogram("floor.tokens"), meter.create_histogram("floor.duration")
    common = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "fixed"}
    internal, client = trace.SpanKind.INTERNAL, trace.SpanKind.CLIENT

    def telemetry() -> None:
        module = tracer.start_span("dspex.module predict", kind=internal,
                                   attributes={"dspex.module.type": "predict", "dspex.backend": "native"})
        outer = context.attach(trace.set_span_in_context(module))
        lm = tracer.start_span("chat fixed", kind=client, attributes=common)
        inner = context.attach(trace.set_span_in_context(lm))
        lm.set_attribute("gen_ai.usage.input_tokens", 120)
        lm.set_attribute("gen_ai.usage.output_tokens", 12)
        lm.end()
        context.detach(inner)
        duration.record(0.001, common)
        tokens.record(120, {**common, "gen_ai.token.type": "input"})
        tokens.record(12, {**common, "gen_ai.token.type": "output"})
        module.end()
        context.detach(outer)

    return alternating(telemetry, [lambda: None], min_time)[0]


if __name__ == "__main__":
    main()
