"""The kit's optimizer cases: the LM that answers from the request alone, the cases' shapes, and how
two compiles are told apart (requests, outcome, saved program).

Compiling needs backends (tests/parity runs the cases against native and dspy); here the pieces
are checked alone, without dspy or a backend installed.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from dspex_core import Example, Prediction
from dspex_core.testing import LMCall
from dspex_core.testing import strategies as ds
from dspex_core.testing.conformance._json_paths import first_json_difference
from dspex_core.testing.conformance._optimizer_cases import FAULTS, OptimizerCase
from dspex_core.testing.conformance._optimizer_script import UNPARSEABLE, CompileScript, output_names
from dspex_core.testing.conformance._outcome import Outcome
from dspex_core.testing.conformance._properties import diff_compile

CHAT_SYSTEM = ("Your input fields are:\n1. `q` (str): a question\nYour output fields are:\n1. `reasoning` (str): \n"
               "2. `n` (int):\n3. `tag` (Literal['yes', 'no']): the tag\nAll interactions will be structured in the "
               "following way, with the appropriate values filled in.\n\n[[ ## q ## ]]\n{q}\n\n[[ ## n ## ]]\n{n}")
JSON_SYSTEM = CHAT_SYSTEM + "\n\nOutputs will be a JSON object with the following fields."


def request(system: str, user: str = "[[ ## q ## ]]\nhello") -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def test_output_names_are_read_from_dspys_system_message():
    assert output_names(CHAT_SYSTEM) == ["reasoning", "n", "tag"]
    assert output_names(JSON_SYSTEM) == ["reasoning", "n", "tag"]
    assert output_names("no fields here") == []


def test_the_script_answers_what_is_asked_in_the_format_asked():
    import typing

    script = CompileScript(3, 0, {"n": int, "tag": typing.Literal["yes", "no"]})
    chat = script(request(CHAT_SYSTEM), {})
    assert chat.startswith("[[ ## reasoning ## ]]\n") and "\n\n[[ ## n ## ]]\n" in chat
    assert chat.endswith("[[ ## completed ## ]]")
    answer = json.loads(script(request(JSON_SYSTEM), {}))
    assert list(answer) == ["reasoning", "n", "tag"]
    assert isinstance(answer["n"], int) and answer["tag"] in ("yes", "no") and isinstance(answer["reasoning"], str)


def test_the_script_is_a_function_of_the_request():
    script, again = CompileScript(3, 0, {}), CompileScript(3, 0, {})
    assert script(request(CHAT_SYSTEM), {"temperature": 1.0}) == again(request(CHAT_SYSTEM), {"temperature": 1.0})
    answers = {script(request(CHAT_SYSTEM, f"[[ ## q ## ]]\n{i}"), {"rollout_id": i}) for i in range(30)}
    assert len(answers) > 5  # other requests (another round's rollout_id) get other answers


def test_unparseable_replies_come_by_hash():
    every = CompileScript(1, 2, {})
    replies = [every(request(CHAT_SYSTEM, f"[[ ## q ## ]]\n{i}"), {}) for i in range(40)]
    assert 5 < replies.count(UNPARSEABLE) < 35
    never = CompileScript(1, 0, {})
    assert UNPARSEABLE not in [never(request(CHAT_SYSTEM, f"[[ ## q ## ]]\n{i}"), {}) for i in range(40)]


@pytest.mark.parametrize("module_type", ["labeled_few_shot", "bootstrap_few_shot",
                                         "bootstrap_few_shot_with_random_search", "copro", "mipro", "mipro_v2"])
def test_optimizer_cases_are_small_and_make_their_mistakes_only_when_asked(module_type):
    @settings(max_examples=30, deadline=None)
    @given(ds.cases(module_type, kinds=("well_formed",)))
    def well_formed(case):
        assert isinstance(case, OptimizerCase) and case.fault == "none" and case.broken_every == 0
        assert case.spec() is None and case.operation == "compile"
        assert 1 <= len(case.inputs["trainset"]) <= 5
        threads = max(case.create_options.get("num_threads") or 1,
                      (case.call_options.get("eval_kwargs") or {}).get("num_threads") or 1)
        assert case.unordered is (threads > 1)
        if module_type in ("mipro", "mipro_v2"):
            assert case.create_options["auto"] is None and case.create_options["num_candidates"] <= 3
            assert case.call_options["num_trials"] <= 3 and "seed" in case.create_options
            assert case.call_options["program_aware_proposer"] is False
            assert case.call_options["data_aware_proposer"] is False
        names = [f.name for f in case.sig.inputs]
        examples = case.examples(case.inputs["trainset"])
        assert all(isinstance(e, Example) and sorted(e.input_keys) == sorted(names) for e in examples)
        assert repr(case).startswith(f"OptimizerCase({module_type!r},") and "trainset=[" in repr(case)

    well_formed()


def test_each_mistake_is_a_set_the_optimizers_refuse():
    from dspex_core.testing._strategies_signatures import FieldSpec, SignatureSpec

    sig = SignatureSpec([FieldSpec("a", str), FieldSpec("b", str)], [FieldSpec("out", str)])
    rows = [{"a": "1", "b": "2", "out": "3"}]

    def case(fault: str) -> OptimizerCase:
        return OptimizerCase("bootstrap_few_shot", "predict", sig, {}, [], {}, None, {}, rows, None, 0, 0, fault)

    assert set(FAULTS) == {"none", "unmarked", "unknown_input", "missing_input", "dict_example", "valset_not_taken",
                           "empty_valset", "unknown_compile_option"}
    assert case("unmarked").examples(rows)[0].input_keys is None
    assert sorted(case("unknown_input").examples(rows)[0].input_keys) == ["a", "b", "out"]
    assert sorted(case("missing_input").examples(rows)[0].input_keys) == ["b"]
    assert case("dict_example").examples(rows)[0] == rows[0]


def test_json_differences_name_a_path_and_ignore_key_order():
    saved = {"predict": {"demos": [{"a": 1, "augmented": True}], "signature": {"instructions": "x"}}, "lm": None}
    assert first_json_difference(saved, json.loads(json.dumps(saved))) is None
    assert first_json_difference({"a": 1, "b": 2}, {"b": 2, "a": 1}) is None
    assert first_json_difference(saved, {**saved, "lm": "m"}) == ("lm", None, "m")
    other = {"predict": {"demos": [{"a": 1.0, "augmented": True}], "signature": {"instructions": "x"}}, "lm": None}
    assert first_json_difference(saved, other) == ("predict.demos[0].a", 1, 1.0)
    assert first_json_difference([1, 2], [1]) == ("(top) (length)", 2, 1)
    assert first_json_difference({"a": 1}, {"b": 1}) == ("a", 1, "(absent)")


def compiled(program: dict | None = None, calls: int = 1, error: Exception | None = None,
             content: str = "hi") -> Outcome:
    lm_calls = [LMCall([{"role": "user", "content": content}], {"temperature": 1.0}) for _ in range(calls)]
    if error is not None:
        return Outcome("b", lm_calls, error=error, stage="compile")
    return Outcome("b", lm_calls, prediction=Prediction(program=program or {"demos": []}))


@pytest.mark.parametrize("mine, theirs, summary", [
    (compiled(content="ho"), compiled(), "compile: messages: LM call 1, message 0 (user), 'content' differs"),
    (compiled(calls=2), compiled(), "compile: messages: the backend made 2 LM calls, the reference 1"),
    (compiled(error=ValueError("x")), compiled(), "compile: only the backend failed"),
    (compiled(error=ValueError("x")), compiled(error=KeyError("x")), "compile: different errors"),
    (compiled({"demos": [{"q": "a"}]}), compiled({"demos": []}),
     "compile: the saved programs differ at demos (length)"),
    (compiled({"demos": [{"q": "a"}]}), compiled({"demos": [{"q": "b"}]}),
     "compile: the saved programs differ at demos[0].q"),
])
def test_compiles_that_differ_say_where(mine, theirs, summary):
    found = diff_compile(mine, theirs)
    assert found is not None and str(found).startswith(summary), str(found)


def test_equal_compiles_agree():
    assert diff_compile(compiled({"demos": [1]}), compiled({"demos": [1]})) is None
    assert diff_compile(compiled(error=ValueError("a")), compiled(error=ValueError("b"))) is None
