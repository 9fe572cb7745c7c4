"""``rlm``, ``code_act`` and ``flex`` through dspy: LM-written code run in the sandbox (Deno +
Pyodide, installed by the tox env's ``python -m dspex_dspy.sandbox``), with scripted LMs.

Each sandboxed run starts a Deno process, which takes seconds: one run per module type, plus
Flex's run of loaded code. Bad options fail at create, before the sandbox starts.
"""

from __future__ import annotations

import pytest
from dspy_helpers import chat

import dspex_core as dspex
from dspex_core.backend import module_ref
from dspex_core.errors import InputError
from dspex_core.testing import RecordingLM


def double(x: int) -> int:
    """Twice x."""
    return 2 * x


def _outputs(messages) -> str:
    return messages[0]["content"].split("Your output fields are:", 1)[1].split("All interactions", 1)[0]


def test_rlm_reads_the_context_with_code_asks_the_sub_lm_and_submits():
    def reply(messages, settings):
        if "`code`" in _outputs(messages):
            return chat(reasoning="Count the words, ask the sub-LM for the topic.",
                        code="n = len(context.split())\ntopic = llm_query('Topic of: ' + context[:40])\n"
                             "SUBMIT(answer=f'{n} words about {topic}')")
        return chat(answer="unused")

    lm, sub_lm = RecordingLM(reply), RecordingLM(["birds"])
    rlm = dspex.RLM.create("context, question -> answer", sub_lm=sub_lm, max_iters=2, lm=lm)
    pred = rlm(context="the robin and the wren sing at dawn", question="How many words, about what?")
    assert pred.answer == "8 words about birds"
    assert len(lm.calls) == 1 and len(sub_lm.calls) == 1
    assert "Topic of: the robin" in sub_lm.calls[0].messages[-1]["content"]
    assert pred.trajectory[0]["output"].startswith("FINAL:") and pred.final_reasoning.startswith("Count the words")
    # the LM saw the inputs as variables of the sandbox, not the text itself in full
    assert "Variable: `context`" in lm.calls[0].messages[-1]["content"]
    assert rlm.describe()["dspy_class"] == "RLM" and "generate_action" in rlm.describe()["predictors"]


@pytest.mark.parametrize("options, match", [
    (dict(max_iters=0), "rlm: max_iters must be a positive integer"),
    (dict(max_llm_calls="5"), "rlm: max_llm_calls must be a positive integer"),
    (dict(verbose="yes"), "verbose must be True or False"),
    (dict(interpreter="local"), "interpreter must be a zero-argument factory"),
    (dict(interpreter=lambda: None, sandbox_timeout=5), "an interpreter factory of your own sets its own limits"),
    (dict(depth=2), r"unknown option.*'depth'.*accepted: demos, instructions, interpreter, max_iters"),
])
def test_rlm_bad_options_are_input_errors(options, match):
    with pytest.raises(InputError, match=match):
        dspex.RLM.create("context, question -> answer", implementation="dspy", **options)


def test_code_act_runs_the_code_with_the_tools_in_the_sandbox():
    def reply(messages, settings):
        if "`generated_code`" in _outputs(messages):
            return chat(generated_code="```python\nprint(double(21))\n```", finished=True)
        return chat(reasoning="The code printed 42.", answer="42")

    lm = RecordingLM(reply)
    agent = dspex.CodeAct.create("question -> answer", tools=[double], max_iters=2, lm=lm)
    pred = agent(question="What is double 21?")
    assert pred.answer == "42" and pred.trajectory["code_output_0"].strip('"\\n') == "42"
    assert "42" in lm.calls[-1].messages[-1]["content"]  # the sandbox's output reached the extraction
    assert set(agent.implementation.dump_state(agent.state)) == {"codeact", "extractor.predict"}


def test_code_act_needs_plain_functions_as_tools():
    with pytest.raises(InputError, match="code_act needs tools="):
        dspex.CodeAct.create("question -> answer", implementation="dspy")
    with pytest.raises(InputError, match=r"tools\[0\].*not a function"):
        dspex.CodeAct.create("question -> answer", tools=[len], implementation="dspy")
    with pytest.raises(InputError, match="max_iters must be a positive integer"):
        dspex.CodeAct.create("question -> answer", tools=[double], max_iters=0, implementation="dspy")


NEW_SOURCE = '''class StringSignatureModule(dspy.Module):
    def __init__(self):
        super().__init__()

    def forward(self, **inputs):
        return dspy.Prediction(answer=inputs["question"].upper())'''


def test_flex_runs_its_code_in_the_sandbox_and_its_state_is_that_code():
    lm = RecordingLM([chat(answer="Paris")])
    flex = dspex.Flex.create("question -> answer", lm=lm)
    assert flex(question="Capital of France?").answer == "Paris"
    assert len(lm.calls) == 1  # the baseline's one Predict, called from the sandbox through the host
    info = flex.describe()
    assert (info["inputs"], info["outputs"]) == (["question"], ["answer"])
    state = flex.implementation.dump_state(flex.state)
    assert "dspy.Predict(" in state["module_src"] and state["module_src"] == info["module_src"]
    # code as GEPA would write it: loaded as state, it runs in the sandbox (no LM call here)
    loaded_state = flex.implementation.load_state("question -> answer", {**state, "module_src": NEW_SOURCE}, lm=lm)
    loaded = module_ref("dspy", "flex", loaded_state)
    assert loaded(question="shout this").answer == "SHOUT THIS" and len(lm.calls) == 1
    with pytest.raises(InputError, match="max_predictor_calls must be a positive integer"):
        dspex.Flex.create("question -> answer", max_predictor_calls=0)


def test_gepa_rewrites_a_flex_modules_code():
    """GEPA's code proposer (the reflection LM writes a new module source) on a flex program: the
    compiled program's state is the new code. One sandbox start per rollout: the smallest budget."""
    import json

    from scripted_task import examples, reply

    def scripted(messages, settings):
        if "`revised_source`" in messages[0]["content"]:
            if "JSON object" in messages[-1]["content"]:
                return json.dumps({"revised_source": NEW_SOURCE})
            return chat(revised_source=NEW_SOURCE)
        return reply(messages, settings)

    def feedback(gold, pred, trace=None, pred_name=None, pred_trace=None):
        ok = gold.answer == pred.answer
        return {"score": float(ok), "feedback": "Right." if ok else "Answer with the word in capitals."}

    lm = RecordingLM(scripted)
    dspex.configure(lm=lm)
    flex = dspex.Flex.create("question -> answer")
    optimizer = dspex.GEPA.create(metric=feedback, reflection_lm=lm, max_metric_calls=3,
                                  reflection_minibatch_size=1, use_merge=False)
    compiled = dspex.compile(optimizer, flex, trainset=examples(["apple"]), valset=examples(["stone"]))
    assert compiled.module_type == "flex" and compiled.describe()["module_src"].strip() == NEW_SOURCE
    assert compiled.implementation.dump_state(compiled.state)["module_src"].strip() == NEW_SOURCE
    assert "dspy.Predict(" in flex.describe()["module_src"]  # the program given keeps its code
    with pytest.raises(InputError, match="no predictors for this optimizer to tune; gepa tunes a flex"):
        dspex.compile(dspex.LabeledFewShot.create(k=1, implementation="dspy"), flex, trainset=examples(["apple"]))
