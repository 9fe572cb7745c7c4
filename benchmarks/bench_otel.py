"""The OpenTelemetry plugin's cost per call: a native Predict (and ChainOfThought) without any
listener, and with dspex-otel reporting to the OpenTelemetry SDK.

Run in the tox ``otel`` env (dspex-core, dspex-native, dspex-otel and the SDK)::

    tox -e otel --notest
    .tox/otel/bin/python benchmarks/bench_otel.py
    .tox/otel/bin/python benchmarks/bench_otel.py --baseline-only   # only calls without listeners
                                                                    # (to compare trees: the same rows on main)

The LM is an in-process object that returns a fixed, well-formed reply at once and records a
usage entry as a provider's client does (``dspex_core.usage.record``), so what is measured is
dspex's own path plus the listener's spans and metrics. The SDK runs in process: a
``TracerProvider`` whose ``SimpleSpanProcessor`` hands each ended span to an exporter that drops
it (a ``BatchSpanProcessor`` would drop spans itself once its queue filled at this rate), and a
``MeterProvider`` with an in-memory reader. The variants alternate in batches (10 rounds, the
best batch of each kept), switched by the module globals dspex checks on each call, so load on
the machine weighs on each alike; time is the process's CPU time (``time.process_time``: what
the calls cost, the SDK's export thread included, not the time spent waiting for a core on a
shared machine).
"""

from __future__ import annotations

import argparse
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
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    import dspex_otel

    class DroppingExporter(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(DroppingExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    listener = dspex_otel.configure(tracer_provider=tracer_provider, meter_provider=meter_provider,
                                    capture_content=False)
    dspex.Predict.create("question -> answer")  # builds the registry: the plugin installs its callback
    assert listener in callbacks._from_plugins, "dspex-otel is not installed in this environment"
    installed = callbacks._from_plugins

    def without() -> None:
        callbacks._from_plugins, config._callbacks_seen = (), False

    def with_otel() -> None:
        callbacks._from_plugins, config._callbacks_seen = installed, True
        listener.capture_content = False

    def with_content() -> None:
        with_otel()
        listener.capture_content = True

    floor = _sdk_floor(tracer_provider, meter_provider, args.min_time)
    print("| call | no listener | with dspex-otel | added per call | with message content | added |")
    print("|---|---|---|---|---|---|")
    for label, (module, reply) in CASES.items():
        lm = FixedLM(reply)
        ref = dspex.create(module, "question -> answer", implementation="native", lm=lm)
        plain, otel, content = alternating(lambda: ref(**QUESTION), [without, with_otel, with_content], args.min_time)
        print(f"| {label} | {plain * 1e6:.1f} µs | {otel * 1e6:.1f} µs | {(otel - plain) * 1e6:.1f} µs | "
              f"{content * 1e6:.1f} µs | {(content - plain) * 1e6:.1f} µs |")
    print(f"\nThe SDK's own share: two spans started, made current and ended, and three histogram records "
          f"with the same attributes, without dspex: {floor * 1e6:.1f} µs per call.")
    tracer_provider.shutdown()


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
