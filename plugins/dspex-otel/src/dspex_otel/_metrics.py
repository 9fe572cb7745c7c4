"""The GenAI client metrics: ``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration``.

Both are histograms with the semantic conventions' names, units and advised bucket boundaries;
each LM request records its duration (with ``error.type`` when it failed) and, when the provider
reported usage, its input and output tokens (``gen_ai.token.type``). Their attributes are the
request's ``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
``gen_ai.response.model`` (when known), ``server.address`` and ``server.port``.
"""

from __future__ import annotations

from typing import Any

from dspex_otel._lm_attributes import LMIdentity

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

    def record(self, identity: LMIdentity, response_model: str | None, duration: float, input_tokens: int,
               output_tokens: int, exception: BaseException | None, context: Any) -> None:
        """One LM request's measurements. ``context``: the request span's, so that the exemplars
        the SDK keeps (by default, for measurements made in a sampled trace) point to that span."""
        if response_model is not None or exception is not None:
            self._record_apart(identity, response_model, duration, input_tokens, output_tokens, exception, context)
            return
        self.duration.record(duration, identity.attributes, context=context)
        if input_tokens or output_tokens:
            self.tokens.record(input_tokens, identity.input_tokens, context=context)
            self.tokens.record(output_tokens, identity.output_tokens, context=context)

    def _record_apart(self, identity: LMIdentity, response_model: str | None, duration: float, input_tokens: int,
                      output_tokens: int, exception: BaseException | None, context: Any) -> None:
        """:meth:`record` with attribute sets made for this request (a response model, an error)."""
        attributes = identity.attributes
        if response_model is not None:
            attributes = {**attributes, "gen_ai.response.model": response_model}
        if exception is not None:
            self.duration.record(duration, {**attributes, "error.type": type(exception).__qualname__}, context=context)
            return
        self.duration.record(duration, attributes, context=context)
        if input_tokens or output_tokens:
            self.tokens.record(input_tokens, {**attributes, "gen_ai.token.type": "input"}, context=context)
            self.tokens.record(output_tokens, {**attributes, "gen_ai.token.type": "output"}, context=context)
