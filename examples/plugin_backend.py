"""A third-party backend: a tiny plugin written in this file, registered while the program runs.

Shows the backend contract from the plugin author's side: an ``Implementation`` with
``create(spec, **options) -> state`` and ``execute(state, inputs, **options) -> Prediction``, a
hook that registers it for a module type, and ``dspex.registry.register_plugin`` to add it in
process (a packaged plugin declares a ``dspex.backends`` entry point instead; copy
plugins/dspex-example/). This "arith" backend serves ``predict`` without any LM for signatures
like ``expression -> value: float`` and raises ``CapabilityError`` for others, so the router,
which tries it first (priority 200 beats native's 100), falls back to native for those. If the
packaged example plugin (``pip install ./plugins/dspex-example``) is installed, its ``metrics``
backend is called too.

    python examples/plugin_backend.py [--lm openai/gpt-4o-mini]
"""

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import dspex_core as dspex
from dspex_core.backend import Implementation, Prediction, Signature, hookimpl
from _common import setup, short

_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
}


def _evaluate(node: ast.AST) -> float:
    """Arithmetic only: numbers and + - * / (never ``eval``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise dspex.InputError(f"not arithmetic: {ast.dump(node)[:40]}")


class ArithPredict(Implementation):
    module_type = "predict"
    not_implemented = ("signatures other than one input -> one float output",)

    def create(self, spec: Any, **options: Any) -> tuple[str, str]:
        signature = Signature(spec) if isinstance(spec, str) else spec
        outputs = list(signature.output_fields.values())
        if len(signature.input_fields) != 1 or len(outputs) != 1 or outputs[0].annotation is not float:
            raise dspex.CapabilityError("arith predict: only 'one input -> one float output' signatures")
        return next(iter(signature.input_fields)), outputs[0].name

    def execute(self, state: tuple[str, str], inputs: Mapping[str, Any], **options: Any) -> Prediction:
        source, target = state
        return Prediction(**{target: float(_evaluate(ast.parse(inputs[source], mode="eval").body))})


class ArithPlugin:
    @hookimpl
    def dspex_register_implementations(self, register: Callable[..., Any]) -> None:
        register("predict", ArithPredict(), backend="arith", native=True, priority=200)


def main() -> None:
    setup(__doc__.splitlines()[0])
    dspex.registry.register_plugin(ArithPlugin(), "arith")
    try:
        print(f"backends serving predict: {[r.backend for r in dspex.registry.candidates('predict')]}")
        calc = dspex.Predict.create("expression -> value: float")
        print(f"'expression -> value: float' on {calc.backend}: (2 + 3) * 4 = {calc(expression='(2 + 3) * 4').value}")
        qa = dspex.Predict.create("question -> answer")
        answer = qa(question="What is the capital of France?").answer
        print(f"'question -> answer' on {qa.backend} (arith declined): {short(answer, 50)}")
    finally:
        dspex.registry.unregister_plugin("arith")
    if "example" in dspex.registry.installed_backends():
        f1 = dspex.Metrics.create("f1", implementation="example")
        score = f1(prediction="the Eiffel Tower", reference="Eiffel tower").score
        print(f"packaged plugin 'example' (metrics): f1 = {score}")
    else:
        print("packaged plugin 'example' not installed: pip install ./plugins/dspex-example")


if __name__ == "__main__":
    main()
