"""Native MIPROv2 on its own (no dspy installed, optuna from dspex-native[optimizers]): what it
checks before any LM call, what a search produces, its log_dir files and its LMs. Parity with
DSPy (requests, trial sequence, saved program) is tests/parity/test_mipro_parity.py."""

from __future__ import annotations

import json
import logging
import sys

import pytest

import dspex_core as dspex
from dspex_core.errors import InputError
from dspex_core.testing import RecordingLM

INSTRUCTIONS = ["Answer in capitals.", "Answer in lower case."]


def replies(messages, settings):
    """Proposals alternate between two instructions; the program answers in capitals only when
    its instructions say so, so the search has something to find."""
    system, user = messages[0]["content"], messages[-1]["content"]
    if "`proposed_instruction`" in system:
        return f"[[ ## proposed_instruction ## ]]\n{INSTRUCTIONS[settings['rollout_id'] % 2]}\n\n[[ ## completed ## ]]"
    if "`summary`" in system or "`observations`" in system:
        field = "summary" if "`summary`" in system else "observations"
        return f"[[ ## {field} ## ]]\nShort questions.\n\n[[ ## completed ## ]]"
    question = user.split("[[ ## question ## ]]\n")[-1].split("\n")[0]
    answer = question.upper() if "Answer in capitals." in system else question
    return f"[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"


TRAIN = [dspex.Example(question=f"q{i}", answer=f"Q{i}").with_inputs("question") for i in range(10)]


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


def program(lm):
    return dspex.Predict.create("question -> answer", implementation="native", lm=lm)


def search(**compile_options):
    options = {"num_trials": 6, "minibatch": False, **compile_options}
    return dict(metric=exact, auto=None, num_candidates=4, max_bootstrapped_demos=0, max_labeled_demos=0,
                num_threads=1), options


def test_the_search_finds_the_instruction_that_scores():
    lm = RecordingLM(replies)
    create, options = search()
    optimizer = dspex.create("mipro_v2", implementation="native", **create)
    compiled = dspex.compile(optimizer, program(lm), trainset=TRAIN, **options)
    assert compiled.backend == "native"
    assert compiled.describe()["instructions"] == "Answer in capitals."
    assert compiled(question="q7").answer == "Q7"


def test_mipro_is_served_natively_by_default_under_both_names():
    for module_type in ("mipro", "mipro_v2"):
        assert dspex.create(module_type, metric=exact).backend == "native"


def test_log_dir_gets_every_evaluated_program_as_dspy_names_them(tmp_path):
    lm = RecordingLM(replies)
    create, options = search()
    optimizer = dspex.create("mipro_v2", implementation="native", log_dir=str(tmp_path), **create)
    dspex.compile(optimizer, program(lm), trainset=TRAIN, **options)
    names = sorted(path.name for path in (tmp_path / "evaluated_programs").iterdir())
    assert names == sorted(["program_-1.json"] + [f"program_{n}.json" for n in range(2, 8)])
    saved = json.loads((tmp_path / "evaluated_programs" / "program_-1.json").read_text())
    assert saved["signature"]["instructions"] == "Given the fields `question`, produce the fields `answer`."


def test_minibatch_runs_add_full_evaluations_and_say_so_in_the_log(caplog):
    lm = RecordingLM(replies)
    create, options = search(minibatch=True, minibatch_size=3, minibatch_full_eval_steps=2, num_trials=5)
    optimizer = dspex.create("mipro_v2", implementation="native", **create)
    with caplog.at_level(logging.INFO, logger="dspex_native.optimizers"):
        compiled = dspex.compile(optimizer, program(lm), trainset=TRAIN, **options)
    full = [r for r in caplog.records if "Full Evaluation" in r.getMessage()]
    assert len(full) >= 2  # the default program's, then at least one between minibatches
    assert compiled.describe()["instructions"] in INSTRUCTIONS + ["Given the fields `question`, produce the fields "
                                                                  "`answer`."]


def test_the_prompt_and_task_models_stand_in_for_a_configured_lm():
    prompt_lm, task_lm = RecordingLM(replies), RecordingLM(replies)
    create, options = search()
    optimizer = dspex.create("mipro_v2", implementation="native", prompt_model=prompt_lm, task_model=task_lm,
                             **create)
    unbound = dspex.Predict.create("question -> answer", implementation="native")
    dspex.compile(optimizer, unbound, trainset=TRAIN, **options)
    assert prompt_lm.calls and all("rollout_id" in c.settings or "`summary`" in c.messages[0]["content"]
                                   or "`observations`" in c.messages[0]["content"] for c in prompt_lm.calls)
    assert task_lm.calls and not any("rollout_id" in c.settings for c in task_lm.calls)
    assert "RecordingLM" in optimizer.describe()["config"]["task_model"]


@pytest.mark.parametrize("create, options, message", [
    ({"auto": "quick"}, {}, "auto must be one of"),
    ({"auto": None}, {}, "needs num_candidates="),
    ({"auto": None, "num_candidates": 0}, {"num_trials": 1}, "num_candidates must be an integer >= 1"),
    ({"auto": None, "num_candidates": 3}, {"num_trials": 2, "minibatch_size": 50}, "minibatch_size=50 exceeds"),
    ({"auto": None, "num_candidates": 3}, {"num_trials": 2, "minibatch_full_eval_steps": 0},
     "minibatch_full_eval_steps must be an integer >= 1"),
    ({"auto": None, "num_candidates": 5, "max_bootstrapped_demos": 0}, {"num_trials": 2, "minibatch": False},
     "max_bootstrapped_demos=0 with max_labeled_demos=4"),
    ({}, {"valset": []}, "valset is empty"),
    ({}, {"requires_permission_to_run": False}, "unknown option"),
])
def test_mistakes_are_refused_before_any_lm_call(create, options, message):
    lm = RecordingLM(replies)
    with pytest.raises(InputError, match=message):
        optimizer = dspex.create("mipro_v2", implementation="native", metric=exact, **create)
        dspex.compile(optimizer, program(lm), trainset=TRAIN, **options)
    assert lm.calls == []


def test_a_search_that_runs_out_of_combinations_says_why():
    """One candidate per variable and a full evaluation after every minibatch: DSPy 3.4 fails with a
    bare ValueError; both backends raise an InputError that says what to change."""
    lm = RecordingLM(replies)
    optimizer = dspex.create("mipro_v2", implementation="native", metric=exact, auto=None, num_candidates=1,
                             num_threads=1)
    with pytest.raises(InputError, match="already evaluated on the whole valset"):
        dspex.compile(optimizer, program(lm), trainset=TRAIN, num_trials=4, minibatch_size=2,
                      minibatch_full_eval_steps=1)


def test_optuna_is_imported_only_when_a_search_runs():
    sys.modules.pop("optuna", None)
    dspex.create("mipro_v2", implementation="native", metric=exact)
    assert "optuna" not in sys.modules
