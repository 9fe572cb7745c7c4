"""The contract checks: what every backend must do, whatever the reference does.

Parity needs a reference that serves the module type; these need only the backend under test
(and, for bad input, the reference's error class when there is a reference serving the type),
so they run for every module type the kit covers, even one no reference serves: async twins
give what the sync calls give, a ``ModuleRef`` carries the right fields (and, where the backend
renders, ``ref.render`` is the request the next call sends), bad input is an
``InputError`` that names what was wrong (a misspelt or missing input field too, while an
extra one is ignored with an ``InputWarning``: the core's input rule), routed calls emit their
telemetry, and one module serves many threads at once. Each check takes one case and raises
:class:`ContractError` saying which rule broke; :mod:`._contract_runner` draws the cases and
drives them.
"""

from __future__ import annotations

from typing import Any, Sequence

from dspex_core._module_types import NO_SPEC
from dspex_core.testing._recording_lm import RecordingLM
from dspex_core.testing._strategies_lm import reply_fields
from dspex_core.testing.conformance._cases import LMCase
from dspex_core.testing.conformance._coverage import (
    AGENT_MODULE_TYPES,
    EVALUATION_MODULE_TYPES,
    LM_BACKED_MODULE_TYPES,
    OPTIMIZER_MODULE_TYPES,
    OWN_LM_MODULE_TYPES,
    WRAPPER_MODULE_TYPES,
)
from dspex_core.testing.conformance._masks import comparable
from dspex_core.testing.conformance._module_case import ModuleCase, echo_fields
from dspex_core.testing.conformance._optimizer_cases import minimal_options
from dspex_core.testing.conformance._outcome import (
    Outcome,
    arun_case,
    case_context,
    error_class,
    execute_case,
    operation,
    prepare,
    run_case,
)
from dspex_core.testing.conformance._properties import Difference, first_difference, properties_for, same_value

#: How many threads execute one module at once in the thread-safety check.
THREADS = 8


class ContractError(AssertionError):
    """A backend broke the module-type contract; the message says how."""


def check_async_twin(backend: str, case: Any) -> None:
    """``acreate``/``aexecute`` must do exactly what ``create``/``execute`` do."""
    import asyncio

    sync = comparable(case, run_case(backend, case, RecordingLM()))
    asynchronous = comparable(case, asyncio.run(arun_case(backend, case, RecordingLM())))
    found = first_difference(asynchronous, sync, properties_for(case.module_type))
    if found is not None:
        raise ContractError(f"acreate/aexecute differ from create/execute on {backend!r}:\n"
                            f"{str(found).replace('backend:  ', 'async:    ').replace('reference:', 'sync:     ')}")


def _rendered(case: Any, ref: Any, call_options: dict[str, Any], lm: RecordingLM, problems: list[str]) -> Any:
    """What ``ref.render`` shows for ``case`` (``None`` where the backend does not render this
    type, or not these inputs); a render that called the LM is a problem."""
    from dspex_core._render import render
    from dspex_core.errors import CapabilityError

    renders = isinstance(case, LMCase) or getattr(case, "rendered", False)
    if not renders or getattr(case, "perform", None) is not None or not ref.has("render"):
        return None
    try:
        shown = render(ref, dict(case.inputs), call_options)
    except CapabilityError:
        return None
    except Exception:  # noqa: BLE001 - inputs the module refuses: the call says so, not render
        return None
    if lm.calls:
        problems.append(f"render() called the LM {len(lm.calls)} time(s); it must only say what a call would send")
    return shown


def _render_problem(shown: Any, lm: RecordingLM) -> str | None:
    """Why ``shown`` is not the first request the call then sent, or ``None``."""
    if shown is None or not lm.calls:
        return None
    sent = lm.calls[0]
    if shown["messages"] != sent.messages:
        return "render()'s messages are not the ones the next call sent"
    if shown["settings"] != sent.settings:
        return f"render()'s settings {shown['settings']!r} are not the ones the next call sent: {sent.settings!r}"
    return None


def check_module_ref(backend: str, case: Any) -> None:
    """``create`` returns a ``ModuleRef`` naming the backend, the type and the session; where the
    backend renders (the optional ``render``), ``ref.render(**inputs)`` is the request the next
    call then sends (messages and settings), without calling the LM."""
    import dspex_core

    with dspex_core.session() as session, case_context(case):
        lm = RecordingLM()
        try:
            spec, options, call_options = prepare(case, backend, lm)
            ref = dspex_core.create(case.module_type, spec, implementation=backend, **options)
        except Exception:  # noqa: BLE001 - a case the backend rejects says nothing about ModuleRef
            return
        problems = []
        if not isinstance(ref, dspex_core.ModuleRef):
            problems.append(f"create returned {type(ref).__name__}, not a ModuleRef")
        else:
            for name, want in (("backend", backend), ("module_type", case.module_type), ("session_id", session.id)):
                if getattr(ref, name) != want:
                    problems.append(f"ref.{name} is {getattr(ref, name)!r}, expected {want!r}")
            if ref.handle is None:
                problems.append("ref.handle is None: the backend's create() returned no state")
            shown = _rendered(case, ref, call_options, lm, problems)
            try:
                result = execute_case(case, ref, dict(case.inputs), call_options)
            except Exception:  # noqa: BLE001
                result = None
            if result is not None and not isinstance(result, dspex_core.Prediction):
                problems.append(f"execute returned {type(result).__name__}, not a dspex_core.Prediction")
            problem = _render_problem(shown, lm)
            if problem is not None:
                problems.append(problem)
    if problems:
        raise ContractError(f"backend {backend!r}, {case.module_type!r}: " + "; ".join(problems))


def check_bad_spec(backend: str, reference: str | None, module_type: str) -> None:
    """A spec that is no spec at all (``42``) is the caller's mistake: an ``InputError``, as the reference's
    (``reference=None``: the contract alone, for a type no reference serves)."""
    import dspex_core

    classes = {}
    for who in (backend, reference) if reference else (backend,):
        try:
            with dspex_core.session():
                options = {"lm": RecordingLM()} if module_type in OWN_LM_MODULE_TYPES else {}
                ref = dspex_core.create(module_type, 42, implementation=who, **options)
                dspex_core.execute(ref, {})
            classes[who] = "no error"
        except Exception as exc:  # noqa: BLE001
            classes[who] = error_class(exc)
            if who == backend and not isinstance(exc, dspex_core.InputError):
                raise ContractError(f"create({module_type!r}, 42) on {backend!r} raised {error_class(exc)}: {exc}; "
                                    f"a bad spec must raise dspex_core.InputError (or a subclass)") from exc
    if classes[backend] == "no error":
        raise ContractError(f"create({module_type!r}, 42) then execute on {backend!r} did not fail; "
                            f"a bad spec must raise dspex_core.InputError")
    if reference and classes[backend] != classes[reference]:
        raise ContractError(f"create({module_type!r}, 42): backend {backend!r} gives {classes[backend]}, "
                            f"reference {reference!r} gives {classes[reference]}")


def takes_no_spec(module_type: str) -> bool:
    """Whether the module-type table says ``create`` takes no spec (``NO_SPEC``: ``lm``,
    ``evaluate``, the optimizers, the retrievers). The checks that build a signature's spec or
    inputs follow this rule, so a type without a spec is never given a signature's."""
    from dspex_core.backend import module_type as table_row

    row = table_row(module_type)
    return row is not None and row.spec == NO_SPEC


#: A valid spec per module type, for the checks that need one that surely parses (a wrapper's
#: spec is a ``predict`` module on this signature, made on the backend under test); a type the
#: module-type table says takes no spec (:func:`takes_no_spec`) has ``None``.
VALID_SPECS = {"predict": "question -> answer", "chain_of_thought": "question -> answer", "metrics": "f1",
               "signature": "question -> answer", "validator": "question -> answer", "template": "Hello {name}",
               **{t: "question -> answer" for t in AGENT_MODULE_TYPES + WRAPPER_MODULE_TYPES}}


def valid_spec(module_type: str, backend: str) -> Any:
    """``VALID_SPECS[module_type]``; for a wrapper, a ``predict`` module of that signature on
    ``backend``; ``None`` for a type that takes no spec."""
    if takes_no_spec(module_type):
        return None
    spec = VALID_SPECS[module_type]
    if module_type in WRAPPER_MODULE_TYPES:
        import dspex_core

        return dspex_core.create("predict", spec, implementation=backend, lm=RecordingLM())
    return spec


def _reward(args: Any, prediction: Any) -> float:
    return 1.0


def valid_options(module_type: str) -> dict[str, Any]:
    """Create options that ``valid_spec(module_type, ...)`` surely works with."""
    if module_type in OWN_LM_MODULE_TYPES:
        options: dict[str, Any] = {"lm": RecordingLM()}
        if module_type == "react":
            from dspex_core.testing.conformance._react_tools import TOOLS

            options["tools"] = [TOOLS["add"]]
        return options
    if module_type in WRAPPER_MODULE_TYPES:
        return {"N": 2, "reward_fn": _reward, "threshold": 1.0} if module_type != "parallel" else {}
    if module_type in EVALUATION_MODULE_TYPES:
        from dspex_core import Example

        return {"devset": [Example(question="q", answer="a").with_inputs("question")],
                "metric": lambda example, prediction, trace=None: 1.0}
    if module_type in OPTIMIZER_MODULE_TYPES:
        return minimal_options(module_type)
    if module_type == "colbert_v2":
        return {"url": "http://127.0.0.1:9/never-asked"}
    return {}


def check_unknown_option(backend: str, reference: str | None, module_type: str) -> None:
    """An option the module type does not know is rejected at ``create`` with an ``InputError`` naming it.

    (docs/module-types.md: options not listed are backend-specific and must be rejected with
    a clear error if unknown.) ``reference=None``: the contract alone, without comparing the
    error class to a reference's.
    """
    import dspex_core

    spec = VALID_SPECS.get(module_type)
    classes = {}
    for who in (backend, reference) if reference else (backend,):
        options = valid_options(module_type)
        try:
            with dspex_core.session():
                dspex_core.create(module_type, valid_spec(module_type, who), implementation=who, no_such_option_xyz=1,
                                  **options)
            classes[who] = "no error"
        except Exception as exc:  # noqa: BLE001
            classes[who] = error_class(exc)
            if who == backend and not isinstance(exc, dspex_core.InputError):
                raise ContractError(f"create({module_type!r}, {spec!r}, no_such_option_xyz=1) on {backend!r} raised "
                                    f"{error_class(exc)}: {exc}; an unknown option must raise dspex_core.InputError"
                                    ) from exc
            if who == backend and "no_such_option_xyz" not in str(exc):
                raise ContractError(f"create({module_type!r}, {spec!r}, no_such_option_xyz=1) on {backend!r} raised "
                                    f"an InputError that does not name the unknown option: {exc}") from exc
    if classes[backend] == "no error":
        raise ContractError(f"create({module_type!r}, {spec!r}, no_such_option_xyz=1) on {backend!r} accepted an "
                            f"unknown option; it must raise dspex_core.InputError naming it")
    if reference and classes[backend] != classes[reference]:
        raise ContractError(f"an unknown option: backend {backend!r} gives {classes[backend]}, reference "
                            f"{reference!r} gives {classes[reference]}")


#: Module types whose calls take a signature's input fields (``question`` for ``VALID_SPECS``), and
#: so follow the core's input rule (``dspex_core.backend.input_rules``): the LM-backed types that
#: take a spec (a type without one, ``lm``, takes the inputs its own rules name), but ``parallel``,
#: which takes examples.
INPUT_FIELD_MODULE_TYPES = tuple(t for t in LM_BACKED_MODULE_TYPES if not takes_no_spec(t) and t != "parallel")
#: An extra name no input resembles (the input rule ignores it, with a warning).
EXTRA_INPUT = "zzz_not_an_input"


def valid_inputs(module_type: str) -> dict[str, Any]:
    """Inputs a module of ``valid_spec(module_type, ...)`` takes (``question``, and for
    ``multi_chain_comparison`` the three completions it compares)."""
    if module_type == "multi_chain_comparison":
        return {"question": "q", "completions": [{"reasoning": "r", "answer": "a"}] * 3}
    return {"question": "q"}


class _Stopped(Exception):
    """Raised by the input check's LM at its first call: the call got past the input check."""


def _stop(messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
    raise _Stopped("the LM was called")


def _run_inputs(module_type: str, who: str, calls: list[dict[str, Any]]) -> list[tuple[Any, list, list]]:
    """``(error or None, the LM's calls, the InputWarnings)`` of each call, with those inputs, of one
    valid module made on ``who`` (one module for them all: a ``program_of_thought`` starts a sandbox)."""
    import warnings

    import dspex_core

    lm = RecordingLM(_stop)
    results = []
    with dspex_core.session():
        options = valid_options(module_type)
        if "lm" in options:
            options["lm"] = lm
        if module_type in WRAPPER_MODULE_TYPES:  # the wrapped module calls this LM
            spec = dspex_core.create("predict", VALID_SPECS[module_type], implementation=who, lm=lm)
        else:
            spec = valid_spec(module_type, who)
        ref = dspex_core.create(module_type, spec, implementation=who, **options)
        for inputs in calls:
            lm.reset()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", dspex_core.InputWarning)
                try:
                    dspex_core.execute(ref, inputs, **({} if "lm" in options else {"lm": lm}))
                    error = None
                except Exception as exc:  # noqa: BLE001 - the check reads the class and the message
                    error = exc
            found = [w for w in caught if issubclass(w.category, dspex_core.InputWarning)]
            results.append((error, list(lm.calls), found))
    return results


def check_input_fields(backend: str, reference: str | None, module_type: str) -> None:
    """A call's input fields follow the core's rule (``dspex_core.backend.input_rules``), as the
    reference's do: a misspelt input (``questio``) or a missing one is an ``InputError`` before any
    LM call, naming the expected input (and for a misspelling, "did you mean"); a name no input
    resembles is ignored with a ``dspex_core.InputWarning`` naming it, and the call goes on.
    (``program_of_thought`` is checked on the errors only: an extra name would start a sandbox.)"""
    import dspex_core

    good = valid_inputs(module_type)
    misspelt = {("questio" if k == "question" else k): v for k, v in good.items()}
    missing = {k: v for k, v in good.items() if k != "question"}
    classes: dict[tuple[str, str], str] = {}
    cases = (("misspelt", misspelt, ("'question'", "'questio'", "did you mean 'question'")),
             ("missing", missing, ("'question'",)))
    extra = {**good, EXTRA_INPUT: "zzz-extra-value"}
    for who in (backend, reference) if reference else (backend,):
        with_extra = who == backend and module_type != "program_of_thought"
        outcomes = _run_inputs(module_type, who, [inputs for _, inputs, _ in cases] + ([extra] if with_extra else []))
        if with_extra:
            extra_outcome = outcomes[-1]
        for (label, inputs, words), (error, calls, _) in zip(cases, outcomes):
            classes[(who, label)] = error_class(error) if error is not None else "no error"
            if who != backend:
                continue
            if not isinstance(error, dspex_core.InputError):
                raise ContractError(f"{module_type!r} on {backend!r} called with {sorted(inputs)} (the inputs are "
                                    f"{sorted(good)}) gave {classes[(who, label)]}: {error}; a {label} input must "
                                    f"raise dspex_core.InputError") from error
            absent = [w for w in words if w not in str(error)]
            if absent:
                raise ContractError(f"the {label}-input error of {module_type!r} on {backend!r} does not say "
                                    f"{', '.join(absent)}: {error}")
            if calls:
                raise ContractError(f"{module_type!r} on {backend!r} called the LM before refusing a {label} input")
    for label in ("misspelt", "missing"):
        if reference and classes[(backend, label)] != classes[(reference, label)]:
            raise ContractError(f"a {label} input of {module_type!r}: backend {backend!r} gives "
                                f"{classes[(backend, label)]}, reference {reference!r} gives "
                                f"{classes[(reference, label)]}")
    if module_type == "program_of_thought":
        return
    error, calls, warned = extra_outcome
    if isinstance(error, dspex_core.InputError):
        raise ContractError(f"{module_type!r} on {backend!r} refused an extra input {EXTRA_INPUT!r} with "
                            f"{error_class(error)}: {error}; a name no input resembles is ignored with a "
                            f"dspex_core.InputWarning") from error
    if not any(EXTRA_INPUT in str(w.message) for w in warned):
        raise ContractError(f"{module_type!r} on {backend!r} ignored the extra input {EXTRA_INPUT!r} without a "
                            f"dspex_core.InputWarning naming it (warnings: {[str(w.message) for w in warned]})")
    if any("zzz-extra-value" in str(m.get("content")) for call in calls for m in call.messages):
        raise ContractError(f"{module_type!r} on {backend!r} sent the extra input {EXTRA_INPUT!r} to the LM")


def check_no_lm(backend: str, reference: str | None, case: Any) -> None:
    """With no LM anywhere, executing is an ``InputError`` that tells the user to configure one."""
    import dspex_core

    with dspex_core.context(lm=None), dspex_core.session(), case_context(case):
        if isinstance(case, ModuleCase):
            spec, options, call_options = case.make(backend, None)
        else:
            spec, options, call_options = case.spec(), {}, {}
        ref = dspex_core.create(case.module_type, spec, implementation=backend, **options)
        try:
            execute_case(case, ref, dict(case.inputs), call_options)
        except dspex_core.InputError as exc:
            if "configure" not in str(exc):
                raise ContractError(f"the no-LM error of {backend!r} should tell the user to call "
                                    f"dspex.configure(lm=...); it says: {exc}") from exc
            return
        except Exception as exc:  # noqa: BLE001
            raise ContractError(f"executing with no LM configured on {backend!r} raised {error_class(exc)}: {exc}; "
                                f"expected dspex_core.InputError") from exc
    raise ContractError(f"executing with no LM configured on {backend!r} did not fail")


def check_telemetry(backend: str, case: Any) -> None:
    """Routed create/execute (an optimizer's create/compile) emit ``route`` events naming the
    backend, and an ``execute`` event."""
    from dspex_core import telemetry

    seen: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def handler(event: Any, measurements: Any, metadata: Any) -> None:
        seen.append((tuple(event), dict(metadata)))

    telemetry.attach(telemetry.ROUTE, handler)
    telemetry.attach(telemetry.EXECUTE, handler)
    try:
        outcome = run_case(backend, case, RecordingLM())
    finally:
        telemetry.detach(telemetry.ROUTE, handler)
        telemetry.detach(telemetry.EXECUTE, handler)
    routes = [m for e, m in seen if e == telemetry.ROUTE and m.get("module_type") == case.module_type]
    operations = [m.get("operation") for m in routes]
    if "create" not in operations:
        raise ContractError(f"no ('dspex','router','route') event for create on {backend!r}; saw {seen!r}")
    if any(m.get("implementation") != backend for m in routes):
        raise ContractError(f"route events name another implementation than {backend!r}: {routes!r}")
    if outcome.stage == "create" and not outcome.ok:
        return
    executes = [m for e, m in seen if e == telemetry.EXECUTE]
    if operation(case) not in operations or not executes:
        raise ContractError(f"missing route/execute events for {operation(case)} on {backend!r}; saw {seen!r}")
    want = "ok" if outcome.ok else outcome.error_class.rsplit(".", 1)[-1]
    status = executes[-1].get("status")
    if status != want and not (not outcome.ok and status == type(outcome.error).__name__):
        raise ContractError(f"the execute event's status is {status!r}, expected {want!r}")


def echo_reply(case: LMCase, messages: list[dict[str, Any]]) -> str:
    """A well-formed reply whose values depend on the request (for the thread-safety check)."""
    return echo_fields(reply_fields(case.sig, case.module_type), messages)


def check_threads(backend: str, case: Any, inputs: Sequence[dict[str, Any]]) -> None:
    """One created module, executed from many threads, gives what it gives one call at a time."""
    from concurrent.futures import ThreadPoolExecutor

    import dspex_core

    options = dict(case.create_options)
    call_options: dict[str, Any] = {}
    spec = None
    if isinstance(case, LMCase):
        options["lm"] = RecordingLM(lambda messages, settings: echo_reply(case, messages))
        options.pop("n", None)
    with dspex_core.session(), case_context(case):
        try:
            if isinstance(case, ModuleCase):
                spec, options, call_options = case.make(backend, RecordingLM(case.pure_script()))
            ref = dspex_core.create(case.module_type, spec if spec is not None else case.spec(),
                                    implementation=backend, **options)
        except Exception:  # noqa: BLE001 - nothing to share between threads
            return

        def one(values: dict[str, Any]) -> Outcome:
            try:
                return Outcome(backend, [], prediction=execute_case(case, ref, dict(values), call_options))
            except Exception as exc:  # noqa: BLE001
                return Outcome(backend, [], error=exc, stage="execute")

        sequential = [one(v) for v in inputs]
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            concurrent = list(pool.map(one, inputs))
    for index, (s, c) in enumerate(zip(sequential, concurrent)):
        if s.error_class != c.error_class or not same_value(s.fields, c.fields):
            found = Difference("threads", f"input {index} ({inputs[index]!r}) gave another result under "
                               f"{THREADS} threads", f"  one at a time: {s!r}\n  concurrently:  {c!r}")
            raise ContractError(str(found))
