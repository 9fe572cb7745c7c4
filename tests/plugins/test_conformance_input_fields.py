"""The kit's input-field check (part of its ``bad_input`` contract check): a backend that follows the
core's input rule passes, and each way of breaking it is reported.

The backend here is a small ``predict`` registered in process (``registry.register_plugin``); no
reference serves alongside it, so the check runs on the contract alone.
"""

from __future__ import annotations

import types
from typing import Any

import pytest

import dspex_core as dspex
from dspex_core import Prediction, registry
from dspex_core.backend import Signature, input_rules
from dspex_core.testing.conformance._contract import ContractError, check_input_fields


class Predict:
    """``predict`` that asks its LM with every input it is given; ``bug`` breaks one rule."""

    def __init__(self, bug: str = ""):
        self.bug = bug

    def create(self, spec: Any, **options: Any) -> tuple[Signature, Any]:
        return Signature.coerce(spec), options.get("lm")

    def execute(self, state: tuple[Signature, Any], inputs: dict[str, Any], **options: Any) -> Prediction:
        signature, own_lm = state
        lm = options.get("lm")
        names = frozenset(signature.input_fields)
        if inputs.keys() != names and self.bug != "sloppy":
            if self.bug == "strict" and not (names - inputs.keys()):
                raise dspex.InputError(f"unknown inputs {sorted(inputs.keys() - names)}")
            if self.bug == "silent" and not (names - inputs.keys()):
                inputs = {k: v for k, v in inputs.items() if k in names}
            elif self.bug == "vague":
                raise dspex.InputError("bad inputs")
            else:
                inputs = input_rules.check_inputs("predict", names, inputs)
        content = "\n".join(f"{k}: {v}" for k, v in inputs.items())
        (lm or own_lm)([{"role": "user", "content": content}])
        return Prediction(answer="a")


@pytest.fixture
def backend():
    names = []

    def install(bug: str = "") -> str:
        name = f"inputs_{bug or 'ok'}"
        plugin = types.SimpleNamespace()

        @dspex.hookimpl
        def dspex_register_implementations(register):
            register("predict", Predict(bug), backend=name, native=False, priority=-100)

        plugin.dspex_register_implementations = dspex_register_implementations
        registry.register_plugin(plugin, name)
        names.append(name)
        return name

    yield install
    for name in names:
        registry.unregister_plugin(name)


def test_a_backend_that_follows_the_input_rule_passes(backend):
    check_input_fields(backend(), None, "predict")


@pytest.mark.parametrize("bug, message", [
    ("sloppy", r"called with \['questio'\] .* a misspelt input must raise dspex_core.InputError"),
    ("vague", "the misspelt-input error of 'predict' on 'inputs_vague' does not say 'question', 'questio'"),
    ("strict", "refused an extra input 'zzz_not_an_input'"),
    ("silent", "ignored the extra input 'zzz_not_an_input' without a dspex_core.InputWarning"),
])
def test_each_broken_rule_is_reported(backend, bug, message):
    with pytest.raises(ContractError, match=message):
        check_input_fields(backend(bug), None, "predict")
