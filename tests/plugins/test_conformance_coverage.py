"""What the kit covers, against the one table of module types (``dspex_core.backend.module_types()``).

The kit keeps its own list of the module types it has properties for; every one of them must
be a row of the table, and every other row must be one ``BackendConformance`` reports as NOT
COVERED (or NOT SERVED), so that a module type added to the table shows up in every backend's
suite instead of passing silently.
"""

from __future__ import annotations

import pytest

from dspex_core.backend import module_types
from dspex_core.testing.conformance import KIT_MODULE_TYPES, PROPERTIES, BackendConformance
from dspex_core.testing.conformance._coverage import (
    AGENT_MODULE_TYPES,
    EVALUATION_MODULE_TYPES,
    LM_BACKED_MODULE_TYPES,
    LM_CALL_MODULE_TYPES,
    LM_MODULE_TYPES,
    OPTIMIZER_MODULE_TYPES,
    OUTPUT_MODULE_TYPES,
    RETRIEVER_MODULE_TYPES,
    TABLE_TYPES_NOT_COVERED,
    WRAPPER_MODULE_TYPES,
    _of_kind,
)
from dspex_core.testing.conformance._properties import properties_for


def test_the_kits_module_types_are_all_in_the_table():
    table = module_types()
    assert [t for t in KIT_MODULE_TYPES if t not in table] == []
    groups = (LM_MODULE_TYPES, AGENT_MODULE_TYPES, WRAPPER_MODULE_TYPES, LM_CALL_MODULE_TYPES, OUTPUT_MODULE_TYPES,
              EVALUATION_MODULE_TYPES, OPTIMIZER_MODULE_TYPES, RETRIEVER_MODULE_TYPES)
    assert sorted(t for group in groups for t in group) == sorted(KIT_MODULE_TYPES)
    assert len(set(KIT_MODULE_TYPES)) == len(KIT_MODULE_TYPES)
    assert LM_BACKED_MODULE_TYPES == LM_MODULE_TYPES + AGENT_MODULE_TYPES + WRAPPER_MODULE_TYPES + LM_CALL_MODULE_TYPES
    # each group is what the table says the type is
    assert {table[t].kind for t in LM_BACKED_MODULE_TYPES} == {"module"}
    assert {table[t].spec for t in AGENT_MODULE_TYPES} == {"signature"}
    assert {table[t].spec for t in WRAPPER_MODULE_TYPES} == {"module"}
    assert {table[t].spec for t in LM_CALL_MODULE_TYPES} == {"none"}
    assert {table[t].kind for t in OUTPUT_MODULE_TYPES} <= {"step", "metric"}
    assert {table[t].kind for t in EVALUATION_MODULE_TYPES} == {"evaluation"}
    assert {table[t].kind for t in OPTIMIZER_MODULE_TYPES} == {"optimizer"}
    assert {table[t].kind for t in RETRIEVER_MODULE_TYPES} == {"retriever"}
    # the optimizers and retrievers come in the table's order
    assert list(OPTIMIZER_MODULE_TYPES) == [t for t in table if t in OPTIMIZER_MODULE_TYPES]
    assert list(RETRIEVER_MODULE_TYPES) == [t for t in table if t in RETRIEVER_MODULE_TYPES]


def test_the_kit_names_no_optimizer_or_retriever_the_table_lacks():
    with pytest.raises(ValueError, match=r"\['no_such_optimizer'\], which the module-type table has no 'optimizer'"):
        _of_kind("optimizer", ("copro", "no_such_optimizer"))
    with pytest.raises(ValueError, match="'retriever' row"):
        _of_kind("retriever", ("copro",))  # a row of another kind
    assert _of_kind("optimizer", ("copro", "labeled_few_shot")) == ("labeled_few_shot", "copro")


def test_every_optimizer_the_kit_covers_has_options_and_every_retriever_a_case():
    from dspex_core.testing.conformance._optimizer_cases import OPTIONS
    from dspex_core.testing.conformance._retriever_cases import RetrieverCase  # noqa: F401

    assert sorted(OPTIONS) == sorted(OPTIMIZER_MODULE_TYPES)
    assert set(RETRIEVER_MODULE_TYPES) == {"colbert_v2", "retrieve"}
    # the table's other optimizers stay NOT COVERED
    assert {"knn_few_shot", "gepa", "simba", "ensemble", "bootstrap_finetune"} <= set(TABLE_TYPES_NOT_COVERED)


def test_the_native_types_of_issue_12_are_covered():
    assert set(AGENT_MODULE_TYPES) | set(WRAPPER_MODULE_TYPES) == {
        "react", "multi_chain_comparison", "best_of_n", "refine", "retry", "program_of_thought", "parallel"}
    assert not set(AGENT_MODULE_TYPES + WRAPPER_MODULE_TYPES) & set(TABLE_TYPES_NOT_COVERED)


def test_the_direct_lm_call_is_covered_in_its_own_group():
    assert LM_CALL_MODULE_TYPES == ("lm",) and "lm" in KIT_MODULE_TYPES and "lm" not in TABLE_TYPES_NOT_COVERED
    assert properties_for("lm") == PROPERTIES


def test_the_contract_gives_a_type_without_a_spec_no_signature():
    """The checks that build a signature's spec or inputs follow the table's rule (spec ``none``)."""
    from dspex_core.testing.conformance._contract import INPUT_FIELD_MODULE_TYPES, takes_no_spec, valid_spec

    table = module_types()
    assert [t for t in KIT_MODULE_TYPES if takes_no_spec(t)] == [t for t in KIT_MODULE_TYPES if table[t].spec == "none"]
    assert "lm" not in INPUT_FIELD_MODULE_TYPES and valid_spec("lm", "unused") is None
    assert INPUT_FIELD_MODULE_TYPES == ("predict", "chain_of_thought", "multi_chain_comparison", "react",
                                        "program_of_thought", "best_of_n", "refine", "retry")


def test_every_other_row_of_the_table_is_not_covered():
    assert TABLE_TYPES_NOT_COVERED == tuple(t for t in module_types() if t not in KIT_MODULE_TYPES)
    assert "code_act" in TABLE_TYPES_NOT_COVERED and "react" not in TABLE_TYPES_NOT_COVERED
    for module_type in TABLE_TYPES_NOT_COVERED:
        assert properties_for(module_type) == ()


def test_every_covered_type_has_properties():
    assert {t: properties_for(t) for t in KIT_MODULE_TYPES} == {
        **{t: PROPERTIES for t in LM_BACKED_MODULE_TYPES}, **{t: ("outputs",) for t in OUTPUT_MODULE_TYPES},
        **{t: ("evaluation",) for t in EVALUATION_MODULE_TYPES}, **{t: ("compile",) for t in OPTIMIZER_MODULE_TYPES},
        **{t: ("retrieval",) for t in RETRIEVER_MODULE_TYPES}}


def _parametrized(test) -> tuple[str, ...]:
    (mark,) = [m for m in test.pytestmark if m.name == "parametrize" and m.args[0] == "module_type"]
    return tuple(mark.args[1])


def test_backend_conformance_has_a_test_for_every_row_of_the_table():
    covered = set()
    for name in ("test_parity", "test_outputs", "test_evaluation", "test_compile", "test_retrieval",
                 "test_async_twins", "test_module_ref", "test_bad_input", "test_telemetry", "test_thread_safety"):
        covered |= set(_parametrized(getattr(BackendConformance, name)))
    assert covered == set(KIT_MODULE_TYPES)
    assert _parametrized(BackendConformance.test_not_covered) == TABLE_TYPES_NOT_COVERED
    assert covered | set(TABLE_TYPES_NOT_COVERED) == set(module_types())

