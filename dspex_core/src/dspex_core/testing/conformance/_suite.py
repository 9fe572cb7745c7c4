"""``BackendConformance``: the test class a backend's suite subclasses to prove parity.

::

    # tests/test_conformance.py of your plugin
    from dspex_core.testing import BackendConformance

    class TestMyBackend(BackendConformance):
        backend = "mybackend"      # the name your plugin registers
        reference = "dspy"         # the default; any installed backend will do

Run it with ``pytest``. For every module type the kit covers (``predict``,
``chain_of_thought``, the agents ``multi_chain_comparison``, ``react``, ``program_of_thought``,
the modules around a module ``best_of_n``, ``refine``, ``retry``, ``parallel``, the direct LM
call ``lm``, ``metrics``, ``signature``, ``template``, ``validator``, ``evaluate``, the
optimizers ``labeled_few_shot``, ``bootstrap_few_shot``, ``bootstrap_few_shot_with_random_search``,
``copro``, ``mipro``, ``mipro_v2``, and the retrievers ``colbert_v2`` and ``retrieve``) that
your backend serves it checks:

* when the reference serves it too, parity on hypothesis-generated cases, both backends
  calling one shared :class:`~dspex_core.testing.RecordingLM`. For LM-backed module types
  the four parity properties: (1) ``messages``, byte-identical prompts on every LM call,
  including the JSON fallback after an unparseable reply; (2) ``settings``, the same
  request settings (every key passed to the LM, equal values of the same type; the cases sit
  on DSPy's n>1 temperature rule at 0.15 and either side of it); (3) ``prediction``, equal
  fields, values and value types; (4) ``failures``, the same error after the same number of LM calls.
  ``lm`` (no spec) is held to the same four on its one request: drawn messages or a prompt,
  settings at create and per call, the LM given at create, per call or configured, scripted
  completions, and mistakes both must refuse with the same error class. For modules without an LM,
  ``outputs``: equal outputs or the same error class. For ``evaluate``, ``evaluation``: the
  same score and per-example results, or the same ``EvaluationError`` on the same examples,
  for generated devsets, programs and metrics. For an optimizer, ``compile``: a program
  (``predict`` or ``chain_of_thought``) made on your backend, compiled with a generated
  trainset, options and metric against an LM that answers from the request alone, must send
  the same LM requests (as a multiset when the optimizer evaluates in threads) and save the
  same program (``save()``'s JSON without ``metadata``), or fail with the same error class. For
  a retriever, ``retrieval``: the same requests to a local ColBERTv2-compatible server the case
  starts on ``127.0.0.1`` (or to a callable ``rm``), and the same passages or error class;
* always, the contract: async twins, ``ModuleRef`` fields, errors for bad input, telemetry
  events, thread safety (compared with the reference's error class when it serves the type).

The agents and wrappers are checked on whole runs: their cases (``_module_case``) script an LM
that answers each kind of request (a ``react`` step or the extraction, Refine's advice, a code
step), give ``react`` plain deterministic tools (some raise, some take wrong arguments), create
a wrapper's module on your backend inside the case, and compare ``parallel``'s requests as a
multiset when threads send them. Two documented differences are masked, narrowly, and named in
the output: the frames of a failed tool's traceback in ``react`` (its type and message are
compared) and the ``program_code`` value of Refine's advice request (the wrapped module's class
source). They run fewer examples than ``predict`` (``_parity_runner.EXAMPLE_SHARE``):
``program_of_thought`` only a few, since it runs code in a sandbox (Deno and Pyodide) that DSPy
starts for every call; without a sandbox on your backend or the reference its tests are
skipped as "SANDBOX NOT AVAILABLE" with the command that installs it. Contract checks that make
no sense for a type (thread safety with a caller's stateful reward function) are skipped as
"NOT APPLICABLE" with the reason.

A module type your backend does not serve is *skipped with the reason "NOT SERVED"*
(``pytest -rs`` lists them), never passed. Every module type of dspex's module-type table
that the kit has *no property for* (``code_act``, ``gepa``, ``knn_few_shot``, ...) gets a test too: skipped as
"NOT COVERED" when your backend serves it, because nothing about it was checked. Every run
ends with a "dspex conformance: coverage" section in pytest's summary: which of your module
types were checked, which got the contract checks only, and which are NOT COVERED (a type of
your own included). Set ``module_types = ("predict",)`` to limit the run. The number of
examples comes from the hypothesis profile (:mod:`dspex_core.testing.profiles`:
``DSPEX_HYPOTHESIS_PROFILE=thorough`` for many more); a failure prints the first difference
and the minimal case.

The same checks run from the command line: ``dspex parity mybackend`` (parity), with
``--contract`` for the contract checks too.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from dspex_core import registry
from dspex_core.testing._recording_lm import RecordingLM
from dspex_core.testing.conformance._contract_runner import contract_test, not_applicable
from dspex_core.testing.conformance._coverage import (
    EVALUATION_MODULE_TYPES,
    KIT_MODULE_TYPES,
    LM_BACKED_MODULE_TYPES,
    NOT_COVERED_NOTE,
    OPTIMIZER_MODULE_TYPES,
    OUTPUT_MODULE_TYPES,
    RETRIEVER_MODULE_TYPES,
    TABLE_TYPES_NOT_COVERED,
    serves,
)
from dspex_core.testing.conformance._coverage_report import report
from dspex_core.testing.conformance._parity_runner import (
    NotServed,
    case_strategy,
    check_case,
    examples_for,
    masks_note,
    metric_support,
    search_phases,
    unavailable,
)
from dspex_core.testing.conformance._pot_cases import sandbox_problem
from dspex_core.testing.conformance._properties import PROPERTIES
from dspex_core.testing.profiles import conformance_settings


class BackendConformance:
    """Subclass it (name the subclass ``Test...``) and set ``backend``; see the module docs."""

    #: The backend under test, as its plugin registers it.
    backend: str = ""
    #: The backend it must agree with.
    reference: str = "dspy"
    #: Limit the module types checked (``None``: every type the kit covers).
    module_types: tuple[str, ...] | None = None
    #: Examples per property (``None``: the hypothesis profile's number).
    max_examples: int | None = None

    # -- the coverage report ----------------------------------------------------------------
    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _dspex_conformance_coverage(cls, request: Any) -> None:
        """List, in pytest's summary, the backend's module types this run did not fully check."""
        if not cls.backend or cls.backend not in registry.installed_backends():
            return  # the tests themselves fail and say why
        report(request.config, cls.__name__, cls.backend, cls.reference, cls.module_types)

    # -- helpers ---------------------------------------------------------------------------
    def _require_installed(self, *, reference: bool = True) -> None:
        if not self.backend:
            pytest.fail(f"{type(self).__name__}.backend is not set: name the backend to test")
        installed = registry.installed_backends()
        for who in (self.backend, self.reference) if reference else (self.backend,):
            if who not in installed:
                pytest.fail(f"backend {who!r} is not installed (installed: {', '.join(installed) or 'none'}); "
                            f"pip install the plugin that provides it")

    def _require(self, module_type: str, *, reference: bool = True) -> None:
        self._require_installed(reference=reference)
        if self.module_types is not None and module_type not in self.module_types:
            pytest.skip(f"{module_type!r} is not in {type(self).__name__}.module_types")
        if not serves(self.backend, module_type):
            pytest.skip(f"NOT SERVED: backend {self.backend!r} does not serve {module_type!r}")
        if reference and not serves(self.reference, module_type):
            pytest.skip(f"NOT SERVED: the reference {self.reference!r} does not serve {module_type!r}")

    def _run_property(self, module_type: str, prop: str) -> None:
        problem = unavailable(module_type, self.backend, self.reference)
        if problem is not None:
            pytest.skip(problem)
        try:
            strategy = case_strategy(module_type, prop, backend=self.backend, reference=self.reference)
        except NotServed as exc:
            pytest.skip(f"NOT SERVED: {exc}")
        note = masks_note(module_type)
        if note:
            print(note)
        lm = RecordingLM()

        @conformance_settings(examples_for(module_type, self.max_examples), **search_phases(module_type))
        @given(strategy)
        def parity(case: Any) -> None:
            check_case(self.backend, self.reference, prop, case, lm)

        parity()

    # -- parity properties -------------------------------------------------------------------
    @pytest.mark.parametrize("prop", PROPERTIES)
    @pytest.mark.parametrize("module_type", LM_BACKED_MODULE_TYPES)
    def test_parity(self, module_type: str, prop: str) -> None:
        """The four parity properties for LM-backed module types (messages, settings, prediction, failures):
        ``predict`` and ``chain_of_thought``, the agents, the modules around a module and ``lm``."""
        self._require(module_type)
        self._run_property(module_type, prop)

    @pytest.mark.parametrize("module_type", OUTPUT_MODULE_TYPES)
    def test_outputs(self, module_type: str) -> None:
        """Module types without an LM: equal outputs (values and types) or the same error class."""
        self._require(module_type)
        if module_type == "metrics":
            _, declined = metric_support(self.backend, self.reference)
            if declined:
                print(f"metrics not served by both {self.backend!r} and {self.reference!r}: {', '.join(declined)}")
        self._run_property(module_type, "outputs")

    @pytest.mark.parametrize("module_type", EVALUATION_MODULE_TYPES)
    def test_evaluation(self, module_type: str) -> None:
        """``evaluate``: the same score and per-example results as the reference, or the same
        ``EvaluationError`` naming the same failed examples (generated devsets, programs, metrics)."""
        self._require(module_type)
        self._run_property(module_type, "evaluation")

    @pytest.mark.parametrize("module_type", OPTIMIZER_MODULE_TYPES)
    def test_compile(self, module_type: str) -> None:
        """Optimizers: compiling a generated program with generated options, trainset and metric
        sends the reference's LM requests and saves the reference's program, or fails alike."""
        self._require(module_type)
        self._run_property(module_type, "compile")

    @pytest.mark.parametrize("module_type", RETRIEVER_MODULE_TYPES)
    def test_retrieval(self, module_type: str) -> None:
        """Retrievers: the reference's requests to a local ColBERTv2 server (or a callable ``rm``),
        and its passages or error class."""
        self._require(module_type)
        self._run_property(module_type, "retrieval")

    # -- the contract ------------------------------------------------------------------------
    def _run_contract(self, module_type: str, name: str) -> None:
        self._require(module_type, reference=False)
        reason = not_applicable(module_type, name)
        if reason is not None:
            pytest.skip(f"NOT APPLICABLE to {module_type!r}: {reason}")
        if module_type == "program_of_thought" and sandbox_problem(self.backend) is not None:
            pytest.skip(f"SANDBOX NOT AVAILABLE: {sandbox_problem(self.backend)}")
        try:
            test = contract_test(self.backend, module_type, name, reference=self.reference)
        except NotServed as exc:
            pytest.skip(f"NOT SERVED: {exc}")
        test()

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_async_twins(self, module_type: str) -> None:
        """``acreate``/``aexecute`` give what ``create``/``execute`` give (no reference needed)."""
        self._run_contract(module_type, "async_twins")

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_module_ref(self, module_type: str) -> None:
        """``create`` returns a ``ModuleRef`` with the backend, module type and session; ``execute`` a Prediction."""
        self._run_contract(module_type, "module_ref")

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_bad_input(self, module_type: str) -> None:
        """A bad spec or an unknown option (named in the message) is an ``InputError``, of the
        reference's class when the reference serves the type; so is having no LM."""
        self._run_contract(module_type, "bad_input")

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_telemetry(self, module_type: str) -> None:
        """Routed calls emit ``route`` and ``execute`` events naming the backend."""
        self._run_contract(module_type, "telemetry")

    @pytest.mark.parametrize("module_type", KIT_MODULE_TYPES)
    def test_thread_safety(self, module_type: str) -> None:
        """One module executed from 8 threads gives what it gives one call at a time."""
        self._run_contract(module_type, "thread_safety")

    # -- what the kit cannot check -------------------------------------------------------------
    @pytest.mark.parametrize("module_type", TABLE_TYPES_NOT_COVERED)
    def test_not_covered(self, module_type: str) -> None:
        """A module type of the table the kit has no property for: never a pass. Skipped as
        NOT COVERED when the backend serves it (nothing about it was checked), as NOT SERVED
        otherwise, so that a type added to the table shows up in every backend's run."""
        self._require_installed(reference=False)
        if not serves(self.backend, module_type):
            pytest.skip(f"NOT SERVED: backend {self.backend!r} does not serve {module_type!r}")
        pytest.skip("NOT COVERED: " + NOT_COVERED_NOTE.format(backend=self.backend, module_type=module_type))
