"""The conformance kit's ``module_ref`` check holds native's ``render`` to the next request: it
passes on native, and fails on a backend whose render leaves out a setting the call sends."""

from __future__ import annotations

from typing import Any

import pytest

from dspex_core import hookimpl, registry
from dspex_core.testing.conformance._contract_runner import check_contract
from dspex_native.modules.predict import PredictImplementation


class ForgetfulRender(PredictImplementation):
    """native predict whose render forgets the request settings (a bug the kit must catch)."""

    def render(self, state: Any, inputs: Any, **options: Any) -> dict[str, Any]:
        shown = super().render(state, inputs, **options)
        return {**shown, "settings": {}}


class Registers:
    @hookimpl
    def dspex_register_implementations(self, register):
        register("predict", ForgetfulRender(), backend="forgetful", native=True, priority=-50)


@pytest.mark.parametrize("module_type", ["predict", "chain_of_thought", "lm"])
def test_native_render_is_the_next_request(module_type):
    report = check_contract("native", module_type, "module_ref", reference=None, examples=25, seed=7)
    assert report.status == "passed", report


def test_a_render_that_forgets_settings_fails_the_check():
    registry.register_plugin(Registers(), "forgetful")
    try:
        report = check_contract("forgetful", "predict", "module_ref", reference=None, examples=40, seed=7)
    finally:
        registry._extra_plugins.clear()
        registry.refresh()
    assert report.status == "failed" and "render()'s settings {} are not the ones the next call sent" in report.failure


def test_the_signature_step_renders_its_typed_predictor_and_a_step_with_nothing_to_predict_says_so():
    import dspex_core as dspex
    from dspex_core.errors import CapabilityError
    from dspex_core.testing import RecordingLM

    lm = RecordingLM("[[ ## answer ## ]]\n3\n\n[[ ## completed ## ]]")
    step = dspex.create("signature", "question -> answer: int", implementation="native", lm=lm)
    shown = step.render(question="q")
    assert shown["messages"][-1]["content"].startswith("[[ ## question ## ]]\nq") and lm.calls == []
    step(question="q")
    assert lm.calls[0].messages == shown["messages"]
    checks_only = dspex.create("signature", "a: int, b: bool ->", implementation="native")
    with pytest.raises(CapabilityError, match="sends no LM request to render"):
        checks_only.render(a="3", b=True)
