"""The ``native`` backend's entry point: registers the module types it implements.

Keep this a plain list of ``register`` calls; implementations are imported lazily enough
(each module only pulls in what its module type needs).
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_core import hookimpl

BACKEND = "native"


@hookimpl
def dspex_register_implementations(register: Callable[..., Any]) -> None:
    """Register every native module type."""
    from dspex_native.chain_of_thought import chain_of_thought
    from dspex_native.predict import predict

    register("predict", predict, backend=BACKEND, native=True, priority=100)
    register("chain_of_thought", chain_of_thought, backend=BACKEND, native=True, priority=100)

    from dspex_native.evaluate import EvaluateImpl
    from dspex_native.metrics import MetricsImpl
    from dspex_native.steps.signature_step import SignatureStepImpl
    from dspex_native.steps.template import TemplateImpl
    from dspex_native.steps.validator import ValidatorImpl

    register("signature", SignatureStepImpl(), backend=BACKEND, native=True, priority=100)
    register("template", TemplateImpl(), backend=BACKEND, native=True, priority=100)
    register("validator", ValidatorImpl(), backend=BACKEND, native=True, priority=100)
    register("metrics", MetricsImpl(), backend=BACKEND, native=True, priority=100)
    register("evaluate", EvaluateImpl(), backend=BACKEND, native=True, priority=100)
