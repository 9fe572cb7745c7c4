"""``dspex demo``: a mixed pipeline, one Predict per backend and a fallback, on a real or offline LM.

It is the README's first command, so it must run on a fresh machine with no LM configured:
then it uses the embedded :class:`~dspex_core.OfflineLM` and says so. Every module is routed
by the real router to the real installed backends; the tables show which backend served
each step and how long it took. ``--explain`` adds the router's candidates per module type
and every routing, fallback and execution event as it was emitted.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable

from dspex_core._escape import escape_controls
from dspex_core.cli._lm_choice import add_lm_arguments, choose_lm
from dspex_core.cli._table import render_table

#: A pipeline whose steps go to different backends: a typed signature step and a template on native,
#: chain_of_thought wherever the router sends it (module-type names keep this file import-light).
PIPELINE_STEPS = [
    ("native", "signature", {"spec": "query -> keywords: list[str]"}),
    ("auto", "chain_of_thought", {"signature": "keywords -> analysis"}),
    ("native", "template", {"template": "Analysis: {analysis}"}),
]
PREDICT_SIGNATURE = "question -> answer"
#: A signature native refuses (its adapters do not render a ToolCalls inside a list yet: the calls an
#: agent made, turn by turn), so the dspy backend serves it.
FALLBACK_SIGNATURE = "question, turns: list[ToolCalls] -> answer"


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query", default="explain DSPy", help="the pipeline's input (default: %(default)r)")
    parser.add_argument("--question", default="What is DSPy?", help="the Predict calls' input")
    parser.add_argument("--explain", action="store_true",
                        help="show the router's candidates and every route/fallback/execute event")
    add_lm_arguments(parser)


class _EventLog:
    """Telemetry handler that keeps the router's events for ``--explain``."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, event: tuple[str, ...], measurements: dict[str, Any], metadata: dict[str, Any]) -> None:
        shown = {k: v for k, v in metadata.items() if k != "timestamp"}
        if "duration" in measurements:
            shown["duration_ms"] = round(measurements["duration"] * 1000, 3)
        self.lines.append(f"    {'.'.join(event)}  {json.dumps(shown, default=str)}")

    def flush(self, enabled: bool) -> None:
        if enabled and self.lines:
            print("  events:")
            print("\n".join(self.lines))
        self.lines.clear()


def run(args: argparse.Namespace) -> int:
    import dspex_core as dspex
    from dspex_core import registry, telemetry

    lm, description = choose_lm(args)
    backends = [b for b in registry.backends() if not b.error]
    print(f"dspex demo: LM {description}")
    print("backends: " + (", ".join(f"{b.name} ({b.distribution} {b.version})" for b in backends) or "none"))
    log = _EventLog()
    events = (telemetry.ROUTE, telemetry.FALLBACK, telemetry.EXECUTE)
    for event in events:
        telemetry.attach(event, log)
    failures = 0
    try:
        with dspex.context(lm=lm, telemetry_enabled=True):
            failures += _section("Pipeline across backends: query -> keywords -> analysis -> text",
                                 lambda: _pipeline(dspex, args), log, args.explain)
            failures += _section(f"One Predict per backend: {PREDICT_SIGNATURE}",
                                 lambda: _predict_per_backend(dspex, registry, args), log, args.explain)
            if registry.has_native("chain_of_thought") and "dspy" in registry.list_by_implementation():
                failures += _section("Fallback (allow_fallback=True): ChainOfThought with a list[ToolCalls] input",
                                     lambda: _fallback(dspex, args), log, args.explain)
    finally:
        for event in events:
            telemetry.detach(event, log)
    if args.explain:
        print("\nrouter candidates (in order; the first serves, the others are fallbacks):")
        for module_type in ("signature", "chain_of_thought", "template", "predict"):
            print(f"  {module_type}: {_candidates(module_type)}")
    return 1 if failures else 0


def _section(title: str, body: Callable[[], None], log: _EventLog, explain: bool) -> int:
    from dspex_core.errors import DspexError

    print(f"\n{title}")
    try:
        body()
        return 0
    except DspexError as exc:
        print(f"  failed: {type(exc).__name__}: {escape_controls(str(exc))}")  # an LM's text: no terminal codes
        return 1
    finally:
        log.flush(explain)


def _pipeline(dspex: Any, args: argparse.Namespace) -> None:
    pipe = dspex.pipeline(PIPELINE_STEPS)
    inputs = {"query": args.query}
    print(f"  inputs: {json.dumps(inputs)}")
    result = dspex.run_pipeline(pipe, inputs)
    rows = []
    for step, done in zip(pipe.steps, result.steps):
        served = done.backend if not done.fallback_from else f"{done.backend} (after {done.fallback_from})"
        rows.append([done.name, step.implementation, served, _ms(done.duration), _values(done.outputs)])
    print(_indent(render_table(["step", "asked", "served by", "time", "result"], rows)))
    print(f"  final: {_short(result.state.get('text'), 200)}")


def _predict_per_backend(dspex: Any, registry: Any, args: argparse.Namespace) -> None:
    rows = []
    serving = [name for name, types in registry.list_by_implementation().items() if "predict" in types]
    if not serving:
        print("  no installed backend serves predict")
        return
    for backend in serving:
        ref = dspex.Predict.create(PREDICT_SIGNATURE, implementation=backend)
        start = time.perf_counter()
        prediction = ref(question=args.question)
        rows.append([backend, _ms(time.perf_counter() - start), _short(prediction.answer, 70)])
    print(_indent(render_table(["backend", "time", "answer"], rows)))


def _fallback(dspex: Any, args: argparse.Namespace) -> None:
    from dspex_core import telemetry

    seen: list[dict[str, Any]] = []

    def remember(event: Any, measurements: Any, metadata: dict[str, Any]) -> None:
        seen.append(metadata)

    telemetry.attach(telemetry.FALLBACK, remember)
    try:
        with dspex.context(allow_fallback=True):
            sig = dspex.Signature(FALLBACK_SIGNATURE, custom_types={"ToolCalls": dspex.ToolCalls})
            ref = dspex.ChainOfThought.create(sig)
            turns = [dspex.ToolCalls.from_dict_list([{"name": "search", "args": {"query": args.question}}])]
            start = time.perf_counter()
            prediction = ref(question=args.question, turns=turns)
            took = time.perf_counter() - start
    finally:
        telemetry.detach(telemetry.FALLBACK, remember)
    for event in seen:
        print(f"  {event['from_implementation']} refused ({event['error']})")
        print(f"  -> retried on {event['to_implementation']}")
    print(f"  served by {ref.backend} in {_ms(took)}: {_values(prediction)}")


def _candidates(module_type: str) -> str:
    from dspex_core._router import describe_choice
    from dspex_core.errors import DspexError

    try:
        return ", ".join(describe_choice(module_type)["candidates"])
    except DspexError as exc:
        return f"none ({exc})"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = escape_controls(" ".join(text.split()))  # an LM's answer: shown, never obeyed by the terminal
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _values(prediction: Any) -> str:
    return "; ".join(f"{k}={_short(v, 48)}" for k, v in prediction.items())


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
