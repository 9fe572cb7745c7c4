"""The conformance kit's first user: the native backend against dspy.

Every parity property (identical messages, the same request settings (every key), equal predictions, the same
failures after as many LM calls; see docs/architecture.md, "Parity") and every contract check
of ``dspex_core.testing.conformance.BackendConformance`` runs here for each module type both
backends serve (``predict``, ``chain_of_thought``, ``metrics``, ``evaluate``, the agents and
wrappers: ``multi_chain_comparison``, ``react``, ``program_of_thought`` (a few examples: code
runs in both sandboxes), ``best_of_n``, ``refine``, ``retry``, ``parallel``, the optimizers
``labeled_few_shot``, ``bootstrap_few_shot``, ``bootstrap_few_shot_with_random_search``,
``copro``, ``mipro``, ``mipro_v2`` (whole compiles, a few each), the direct LM call ``lm``
and the retrievers
``colbert_v2`` and ``retrieve`` (against the kit's local ColBERTv2 server)); the types
dspy does not serve (``signature``, ``template``, ``validator``) get the contract checks
alone (their parity properties are skipped as NOT SERVED), and the run's summary lists
them, and any type native serves that the kit has no property for (a type of the module-type
table is also a test skipped as NOT COVERED). ``DSPEX_HYPOTHESIS_PROFILE=thorough`` (or
``HYPOTHESIS_PROFILE=thorough``) runs ten times as many examples per property.
"""

from dspex_core.testing.conformance import BackendConformance


class TestNativeAgainstDspy(BackendConformance):
    backend = "native"
    reference = "dspy"


def test_native_serves_every_type_the_kit_checks_on_lm_runs():
    """The run above checks native on the types of issue 12: none of them may be skipped as NOT SERVED."""
    from dspex_core.testing.conformance._coverage import LM_BACKED_MODULE_TYPES, serves

    assert [t for t in LM_BACKED_MODULE_TYPES if not (serves("native", t) and serves("dspy", t))] == []


def test_native_serves_every_optimizer_and_retriever_the_kit_checks():
    """None of the kit's optimizer and retriever cases may be skipped as NOT SERVED in the run above."""
    from dspex_core.testing.conformance._coverage import OPTIMIZER_MODULE_TYPES, RETRIEVER_MODULE_TYPES, serves

    kit_types = OPTIMIZER_MODULE_TYPES + RETRIEVER_MODULE_TYPES
    assert [t for t in kit_types if not (serves("native", t) and serves("dspy", t))] == []


# -- the kit sees a one-byte slip against real dspy ------------------------------------------
import types  # noqa: E402

import pytest  # noqa: E402

import dspex_core as dspex  # noqa: E402
from dspex_core import registry  # noqa: E402
from dspex_core.testing.conformance import check_property  # noqa: E402


class _Slip:
    """Native predict behind a proxy LM that lower-cases the first letter of the system prompt."""

    def create(self, spec, **options):
        lm = options.pop("lm")

        def slipped(messages, **settings):
            first = dict(messages[0])
            first["content"] = first["content"][:1].lower() + first["content"][1:]
            return lm([first, *messages[1:]], **settings)

        return dspex.create("predict", spec, implementation="native", lm=slipped, **options)

    def execute(self, state, inputs, **options):
        return dspex.execute(state, inputs, **options)


def _installed(module_type, implementation, backend):
    """Register ``implementation`` as ``backend`` (a low-priority plugin) for one test."""
    plugin = types.SimpleNamespace()

    @dspex.hookimpl
    def dspex_register_implementations(register):
        register(module_type, implementation, backend=backend, native=False, priority=-100)

    plugin.dspex_register_implementations = dspex_register_implementations
    registry.register_plugin(plugin, backend)
    yield backend
    registry.unregister_plugin(backend)


@pytest.fixture
def slip_backend():
    yield from _installed("predict", _Slip(), "native_slip")


def test_the_kit_reports_a_one_byte_slip_against_dspy(slip_backend):
    report = check_property(slip_backend, "predict", "messages", reference="dspy", examples=50)
    assert report.status == "differs" and report.cases == 1 and report.agreed == 0
    text = str(report.difference)
    assert text.startswith("messages: LM call 1, message 0 (system), 'content' differs first at character 0")
    assert "backend:   'your input fields are:" in text and "reference: 'Your input fields are:" in text
    # the other properties do not see a prompt slip
    assert check_property(slip_backend, "predict", "prediction", reference="dspy", examples=50).passed


class _ZeroOnFailure:
    """Native evaluate that scores failed examples 0.0 whatever ``failure_score`` says."""

    def create(self, spec, **options):
        options["failure_score"] = 0.0
        return dspex.create("evaluate", spec, implementation="native", **options)

    def execute(self, state, inputs, **options):
        return dspex.execute(state, inputs, **options)


@pytest.fixture
def zero_on_failure():
    yield from _installed("evaluate", _ZeroOnFailure(), "native_zero")


def test_native_evaluate_agrees_with_dspy_on_hundreds_of_cases():
    report = check_property("native", "evaluate", "evaluation", reference="dspy", examples=300)
    assert report.status == "agreed" and report.cases == report.agreed == 300, (report, report.difference)


def test_the_kit_reports_an_evaluate_that_ignores_failure_score(zero_on_failure):
    report = check_property(zero_on_failure, "evaluate", "evaluation", reference="dspy", examples=200)
    assert report.status == "differs", report
    text = str(report.difference)
    assert text.startswith("evaluation: the score differs") or "the example's score differs" in text, text
    # the minimal case: one example whose program or metric raises, and a failure_score that is not 0
    assert report.example.startswith("EvaluateCase(") and "raises" in report.example
    assert "failure_score=0.0" not in report.example

