"""The OpenTelemetry listener: dspex's DSPy-style callbacks turned into GenAI spans and metrics.

One :class:`OTelCallback` is installed for the whole process by the plugin hook (see
:mod:`dspex_otel.plugin`). Each event pair becomes a span, made current between its start and
its end (``opentelemetry.context.attach``), so whatever runs inside, an LM request inside a
module, a tool inside ReAct, the steps inside a pipeline, is its child, also in worker threads
and asyncio tasks (dspex copies the context into them), and a span the user opened around a
dspex call is the parent of dspex's.

Spans (semantic conventions for GenAI, see README.md):

* an LM request: ``{gen_ai.operation.name} {gen_ai.request.model}`` (``chat gpt-4o-mini``), kind
  ``CLIENT``, with the provider, model, request settings, usage, response model and finish
  reasons where known, and ``error.type`` on failure;
* a ReAct or CodeAct call: ``invoke_agent {module type}`` (kind ``INTERNAL``), the conventions'
  agent span; any other module call: ``dspex.module {module type}`` (``INTERNAL``; the
  conventions have no operation for a prompt program, so no ``gen_ai.operation.name``);
* a tool: ``execute_tool {name}`` (``INTERNAL``);
* ``dspex.evaluate`` and ``dspex.pipeline`` around evaluations and pipeline runs.

Adapter events are not listened to (they are steps of the module span, not requests). The
plugin is on every call's path: what does not change between requests to one LM (span name,
attribute sets of the span and the metrics: :class:`~dspex_otel._lm_attributes.LMIdentity`) is made
once, and a request's usage is read through ``dspex_core.usage.open_record``, not a tracker block.
"""

from __future__ import annotations

import time
from collections.abc import Mapping  # (typing.Mapping makes every isinstance slow)
from typing import Any

from dspex_core import ModuleRef
from dspex_core.callbacks import ACTIVE_CALL_ID
from dspex_core.usage import close_record, open_record

from dspex_otel import _content, _lm_attributes

#: Module types that are agents in the conventions' sense (an LM choosing tools in a loop).
AGENT_TYPES = frozenset({"react", "code_act"})

_perf = time.perf_counter
_snake_cache: dict[type, str] = {}


def _snake(cls: type) -> str:
    """``ChainOfThought`` -> ``chain_of_thought`` (a dspy module's type name, as dspex names types)."""
    found = _snake_cache.get(cls)
    if found is None:
        name = cls.__name__
        found = _snake_cache[cls] = "".join(f"_{c.lower()}" if c.isupper() and i else c.lower()
                                            for i, c in enumerate(name))
    return found


#: (module type, backend) -> the span's name and attributes (copied for each span)
_module_spans: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}


def _module_span(module_type: str, backend: str) -> tuple[str, dict[str, Any]]:
    attributes = {"dspex.module.type": module_type, "dspex.backend": backend}
    if module_type in AGENT_TYPES:  # the conventions' agent span
        attributes["gen_ai.operation.name"] = "invoke_agent"
        attributes["gen_ai.agent.name"] = module_type
        return f"invoke_agent {module_type}", attributes
    return f"dspex.module {module_type}", attributes


class _Open:
    """One span between its start and end event (an LM request keeps more)."""

    __slots__ = ("span", "token", "instance", "started", "context", "identity", "usage", "history")

    def __init__(self, span: Any, token: Any, instance: Any):
        self.span, self.token, self.instance = span, token, instance
        self.usage = self.history = None


class OTelCallback:
    """DSPy's ``BaseCallback`` methods, reporting to OpenTelemetry.

    ``tracer_provider`` / ``meter_provider``: the providers to use (default: the global ones,
    ``opentelemetry.trace.set_tracer_provider``); ``capture_content``: record message content
    (default: ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``)."""

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None,
                 capture_content: bool | None = None):
        self.setup(tracer_provider, meter_provider, capture_content)

    def setup(self, tracer_provider: Any = None, meter_provider: Any = None,
              capture_content: bool | None = None) -> None:
        """(Re)make the tracer and instruments; the calls open meanwhile end on the old ones."""
        from opentelemetry import context, metrics, trace

        from dspex_otel._metrics import Instruments
        from dspex_otel._version import __version__

        self._tracer = trace.get_tracer("dspex_otel", __version__, tracer_provider)
        self._metrics = Instruments(metrics.get_meter("dspex_otel", __version__, meter_provider))
        self._attach, self._detach, self._in_context = context.attach, context.detach, trace.set_span_in_context
        self._client, self._internal = trace.SpanKind.CLIENT, trace.SpanKind.INTERNAL
        self._error = trace.StatusCode.ERROR
        self.capture_content = _content.capture_from_environment() if capture_content is None else bool(capture_content)
        self._open: dict[str, _Open] = {}

    # -- spans -------------------------------------------------------------------------------
    def _start(self, call_id: str, name: str, kind: Any, attributes: dict[str, Any], instance: Any) -> _Open:
        span = self._tracer.start_span(name, kind=kind, attributes=attributes)
        found = self._open[call_id] = _Open(span, self._attach(self._in_context(span)), instance)
        return found

    def _end(self, call_id: str, exception: BaseException | None) -> _Open | None:
        found = self._open.pop(call_id, None)
        if found is None:
            return None
        self._close(found, exception)
        return found

    def _close(self, found: _Open, exception: BaseException | None) -> None:
        span = found.span
        if exception is not None:
            span.set_attribute("error.type", type(exception).__qualname__)
            span.set_status(self._error, f"{type(exception).__name__}: {exception}")
        span.end()
        self._detach(found.token)

    # -- modules -----------------------------------------------------------------------------
    def on_module_start(self, call_id: str, instance: Any, inputs: Mapping[str, Any]) -> None:
        if type(instance) is ModuleRef:  # the module the user called
            module_type, backend = instance.module_type, instance.backend
        else:
            module_type = getattr(instance, "module_type", None)
            if module_type is None:  # a dspy module (the dspy backend): its class names its type
                module_type, backend = _snake(type(instance)), "dspy"
            else:  # a native predictor inside a module (its state): a Predict, or a ChainOfThought's outer call
                backend = "native"
                parent = self._open.get(ACTIVE_CALL_ID.get())
                owner = parent.instance if parent is not None else None
                if module_type != "chain_of_thought" or owner is instance or getattr(owner, "state", None) is instance:
                    module_type = "predict"
        found = _module_spans.get((module_type, backend))
        if found is None:
            found = _module_spans[(module_type, backend)] = _module_span(module_type, backend)
        self._start(call_id, found[0], self._internal, dict(found[1]), instance)  # a copy: samplers get it

    def on_module_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        self._end(call_id, exception)

    # -- LM requests -------------------------------------------------------------------------
    def on_lm_start(self, call_id: str, instance: Any, inputs: Mapping[str, Any]) -> None:
        own = _lm_attributes.own_settings(instance)
        identity = _lm_attributes.identity(instance, own)
        call_settings = inputs.get("kwargs")
        attributes = dict(identity.attributes)  # a copy: the tracer's sampler gets it
        if own or call_settings:
            _lm_attributes.request_attributes(own, call_settings or {}, attributes)
        if self.capture_content:
            attributes.update(_content.input_attributes(inputs.get("messages")))
        span = self._tracer.start_span(identity.span_name, kind=self._client, attributes=attributes)
        context = self._in_context(span)
        found = self._open[call_id] = _Open(span, self._attach(context), instance)
        found.context, found.identity = context, identity
        try:
            found.usage = open_record()  # what the call records, whatever the backend
            history = getattr(instance, "history", None)  # a dspy.LM keeps its responses there
            found.history = len(history) if isinstance(history, list) else None
        finally:
            found.started = _perf()

    def on_lm_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        found = self._open.pop(call_id, None)
        if found is None:
            return
        duration = _perf() - found.started
        try:
            entries = None
            if found.usage is not None:
                entries = close_record(found.usage)
            response_model, input_tokens, output_tokens = self._lm_results(found, outputs, exception, entries)
        finally:  # the span ends and the context is restored, whatever went wrong above
            self._close(found, exception)
        self._metrics.record(found.identity, response_model, duration, input_tokens, output_tokens, exception,
                             found.context)

    def _lm_results(self, found: _Open, outputs: Any, exception: BaseException | None,
                    entries: list | None) -> tuple[Any, int, int]:
        """Set what the request returned on its span (``entries``: the usage it recorded); returns
        the response model (``None`` when unknown) and the input and output tokens, for the metrics."""
        input_tokens, output_tokens = _lm_attributes.usage_tokens(entries) if entries else (0, 0)
        reasons = response_model = None
        found_attributes: dict[str, Any] = {}
        if found.history is not None:
            history = getattr(found.instance, "history", None)
            if isinstance(history, list) and len(history) > found.history:
                response_model, response_id, reasons, usage = _lm_attributes.dspy_response(history[-1])
                if response_id:
                    found_attributes["gen_ai.response.id"] = str(response_id)
                if not (input_tokens or output_tokens) and isinstance(usage, Mapping):
                    input_tokens, output_tokens = _lm_attributes.usage_tokens([("", usage)])
        if response_model:
            response_model = found_attributes["gen_ai.response.model"] = str(response_model)
        else:
            response_model = None
        if reasons:
            found_attributes["gen_ai.response.finish_reasons"] = reasons
        if input_tokens or output_tokens:
            found_attributes["gen_ai.usage.input_tokens"] = input_tokens
            found_attributes["gen_ai.usage.output_tokens"] = output_tokens
        if exception is None and self.capture_content:
            found_attributes["gen_ai.output.messages"] = _content.output_attribute(outputs, reasons)
        if found_attributes:
            found.span.set_attributes(found_attributes)
        return response_model, input_tokens, output_tokens

    # -- tools -------------------------------------------------------------------------------
    def on_tool_start(self, call_id: str, instance: Any, inputs: Mapping[str, Any]) -> None:
        name = str(getattr(instance, "name", None) or type(instance).__name__)
        attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name, "gen_ai.tool.type": "function"}
        if self.capture_content:
            import json

            attributes["gen_ai.tool.call.arguments"] = json.dumps(inputs.get("kwargs") or {}, ensure_ascii=False,
                                                                  default=str)
        self._start(call_id, f"execute_tool {name}", self._internal, attributes, instance)

    def on_tool_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        found = self._open.get(call_id)
        if found is not None and exception is None and self.capture_content:
            found.span.set_attribute("gen_ai.tool.call.result", outputs if isinstance(outputs, str) else repr(outputs))
        self._end(call_id, exception)

    # -- evaluations and pipelines -----------------------------------------------------------
    def on_evaluate_start(self, call_id: str, instance: Any, inputs: Mapping[str, Any]) -> None:
        devset = inputs.get("devset")
        if devset is None:  # given when the evaluation was created, not at the call
            options = getattr(instance, "options", None)
            devset = options.get("devset") if isinstance(options, Mapping) else None
        attributes: dict[str, Any] = {}
        if isinstance(devset, (list, tuple)):
            attributes["dspex.evaluate.examples"] = len(devset)
        self._start(call_id, "dspex.evaluate", self._internal, attributes, instance)

    def on_evaluate_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        found = self._open.get(call_id)
        score = getattr(outputs, "score", None)
        if found is not None and isinstance(score, (int, float)) and not isinstance(score, bool):
            found.span.set_attribute("dspex.evaluate.score", score)
        self._end(call_id, exception)

    def on_pipeline_start(self, call_id: str, instance: Any, inputs: Mapping[str, Any]) -> None:
        steps = getattr(instance, "steps", None)
        attributes = {"dspex.pipeline.steps": len(steps)} if isinstance(steps, (list, tuple)) else {}
        self._start(call_id, "dspex.pipeline", self._internal, attributes, instance)

    def on_pipeline_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        self._end(call_id, exception)
