"""The GenAI client metrics: ``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration``.

Both are histograms with the semantic conventions' names, units and advised bucket boundaries;
each LM request records its duration (with ``error.type`` when it failed) and, when the provider
reported usage, its input and output tokens (``gen_ai.token.type``). Their attributes are the
request's ``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
``gen_ai.response.model`` (when known), ``server.address`` and ``server.port``.
"""

from __future__ import annotations

from typing import Any, Mapping

TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]


class Instruments:
    """The two histograms of one meter."""

    def __init__(self, meter: Any):
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS)
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS)

    def record(self, attributes: Mapping[str, Any], duration: float, input_tokens: int, output_tokens: int,
               exception: BaseException | None) -> None:
        """One LM request's measurements."""
        if exception is not None:
            self.duration.record(duration, {**attributes, "error.type": type(exception).__qualname__})
            return
        self.duration.record(duration, attributes)
        if input_tokens or output_tokens:
            self.tokens.record(input_tokens, {**attributes, "gen_ai.token.type": "input"})
            self.tokens.record(output_tokens, {**attributes, "gen_ai.token.type": "output"})
