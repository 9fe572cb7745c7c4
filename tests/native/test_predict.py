"""The native predict / chain_of_thought modules, without dspy installed.

The golden prompt below is what dspy 3.4.1's ChatAdapter sends for the same module (checked
against dspy itself in tests/parity); the rest covers options, LM resolution, settings,
fallback, failures, async, describe/save/load_state and registration.
"""

from __future__ import annotations

import asyncio
import json

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, InputError, Signature
from dspex_core.errors import AdapterParseError
from dspex_core.testing import RecordingLM
from dspex_native.modules.chain_of_thought import implementation as chain_of_thought
from dspex_native.modules.predict import implementation as predict

GOLDEN_SYSTEM = """Your input fields are:
1. `question` (str): 
2. `ctx` (list[str]):
Your output fields are:
1. `reasoning` (str): 
2. `answer` (int): 
3. `ok` (bool):
All interactions will be structured in the following way, with the appropriate values filled in.

[[ ## question ## ]]
{question}

[[ ## ctx ## ]]
{ctx}

[[ ## reasoning ## ]]
{reasoning}

[[ ## answer ## ]]
{answer}        # note: the value you produce must be a single int value

[[ ## ok ## ]]
{ok}        # note: the value you produce must be True or False

[[ ## completed ## ]]
In adhering to this structure, your objective is: 
        Given the fields `question`, `ctx`, produce the fields `answer`, `ok`."""

GOLDEN_USER = """[[ ## question ## ]]
Why?

[[ ## ctx ## ]]
["x"]

Respond with the corresponding output fields, starting with the field `[[ ## reasoning ## ]]`, then `[[ ## answer ## ]]` (must be formatted as a valid Python int), then `[[ ## ok ## ]]` (must be formatted as a valid Python bool), and then ending with the marker for `[[ ## completed ## ]]`."""

COT_REPLY = "[[ ## reasoning ## ]]\nthink\n\n[[ ## answer ## ]]\n4\n\n[[ ## ok ## ]]\nTrue\n\n[[ ## completed ## ]]"


def reply(**fields):
    return "\n\n".join(f"[[ ## {k} ## ]]\n{v}" for k, v in fields.items()) + "\n\n[[ ## completed ## ]]"


def test_golden_chain_of_thought_prompt_and_typed_prediction():
    lm = RecordingLM([COT_REPLY])
    demos = [{"question": "q1", "answer": 3},
             {"question": "q2", "ctx": ["a", "b\nc"], "reasoning": "r", "answer": 4, "ok": True}]
    state = chain_of_thought.create("question, ctx: list[str] -> answer: int, ok: bool", demos=demos)
    pred = chain_of_thought.execute(state, {"question": "Why?", "ctx": ["x"]}, lm=lm)
    assert (pred.reasoning, pred.answer, pred.ok) == ("think", 4, True)
    assert type(pred.answer) is int and type(pred.ok) is bool
    messages = lm.calls[0].messages
    assert messages[0] == {"role": "system", "content": GOLDEN_SYSTEM}
    assert messages[-1] == {"role": "user", "content": GOLDEN_USER}
    assert messages[1]["content"] == ("This is an example of the task, though some input or output fields are not "
                                      "supplied.\n\n[[ ## question ## ]]\nq1")
    assert messages[2]["content"] == ("[[ ## reasoning ## ]]\nNot supplied for this particular example. \n\n"
                                      "[[ ## answer ## ]]\n3\n\n[[ ## ok ## ]]\nNot supplied for this particular "
                                      "example.\n\n[[ ## completed ## ]]\n")
    assert messages[3]["content"] == '[[ ## question ## ]]\nq2\n\n[[ ## ctx ## ]]\n["a", "b\\nc"]'
    assert lm.calls[0].settings == {}


def test_list_input_to_a_str_field_is_a_numbered_list():
    lm = RecordingLM([reply(answer="ok")])
    state = predict.create("passages -> answer")
    predict.execute(state, {"passages": ["one", "two\nlines"]}, lm=lm)
    assert lm.calls[0].messages[-1]["content"].startswith(
        "[[ ## passages ## ]]\n[1] «one»\n[2] «««\n    two\n    lines\n»»»\n\n")


def test_unknown_create_option_lists_the_accepted_ones():
    with pytest.raises(InputError, match="unknown option 'tempreature'.*demos.*instructions.*temperature"):
        predict.create("q -> a", tempreature=0.3)
    with pytest.raises(InputError, match="adapter"):
        predict.create("q -> a", adapter="yaml")
    assert predict.create("q -> a", adapter="xml").adapter == "xml"  # DSPy's XMLAdapter, native too
    with pytest.raises(InputError, match="demos"):
        predict.create("q -> a", demos="not a list")
    with pytest.raises(InputError, match="string"):
        predict.create("q -> a", lm="openai/gpt-4o-mini")
    with pytest.raises(InputError, match="unknown call option"):
        predict.execute(predict.create("q -> a"), {"q": "x"}, lm=RecordingLM("x"), temperature=1)


def test_no_lm_configured_is_an_input_error_naming_configure():
    state = predict.create("q -> a")
    with dspex.context(lm=None), pytest.raises(InputError, match=r"dspex\.configure\(lm="):
        predict.execute(state, {"q": "x"})


def test_lm_resolution_call_then_create_then_settings():
    configured, created, per_call = (RecordingLM(reply(a=n)) for n in ("configured", "created", "call"))
    with dspex.context(lm=configured):
        assert predict.execute(predict.create("q -> a"), {"q": "x"}).a == "configured"
        state = predict.create("q -> a", lm=created)
        assert predict.execute(state, {"q": "x"}).a == "created"
        assert predict.execute(state, {"q": "x"}, lm=per_call).a == "call"


def test_settings_follow_dspy_including_the_n_temperature_rule():
    lm = RecordingLM([reply(a=i) for i in range(6)])
    state = predict.create("q -> a", temperature=0.1, max_tokens=50, n=2, rollout_id=1)
    pred = predict.execute(state, {"q": "x"}, lm=lm)
    assert lm.calls[0].settings == {"temperature": 0.7, "max_tokens": 50, "n": 2, "rollout_id": 1}
    assert [c["a"] for c in pred.completions] == ["0", "1"] and pred.a == "0"
    predict.execute(state, {"q": "x"}, lm=lm, config={"temperature": 0.9, "n": 2, "tools": []})
    assert lm.calls[1].settings == {"temperature": 0.9, "max_tokens": 50, "n": 2, "rollout_id": 1}


def test_lm_description_settings_play_dspy_lm_kwargs_role_in_the_rule():
    from dspex_native.predictor.request import request_settings as _request_settings

    state = predict.create("q -> a", n=3)
    assert _request_settings(state, dspex.LM("openai/x", temperature=1.0), None) == {"n": 3}
    assert _request_settings(state, dspex.LM("openai/x", temperature=0.0), None) == {"n": 3, "temperature": 0.7}
    assert _request_settings(predict.create("q -> a"), dspex.LM("openai/x", n=2), None) == {"temperature": 0.7}


def test_unparseable_reply_falls_back_to_json_then_raises_with_the_raw_reply():
    lm = RecordingLM(["nonsense", "still nonsense"])
    state = predict.create("q -> a: int")
    with pytest.raises(AdapterParseError) as info:
        predict.execute(state, {"q": "x"}, lm=lm)
    assert info.value.raw == "still nonsense" and info.value.lm_calls == 2 and lm.call_count == 2
    assert "Respond with a JSON object in the following order of fields: `a` (must be formatted as a valid " \
        "Python int)." in lm.calls[1].messages[-1]["content"]
    ok = RecordingLM(["nonsense", '```json\n{"a": "7"}\n```'])
    assert predict.execute(state, {"q": "x"}, lm=ok).a == 7


def test_json_adapter_fails_after_one_call():
    lm = RecordingLM(["nonsense", "unused"])
    state = predict.create("q -> a", adapter="json")
    with pytest.raises(AdapterParseError) as info:
        predict.execute(state, {"q": "x"}, lm=lm)
    assert info.value.lm_calls == 1 and lm.call_count == 1


def test_first_marker_wins_and_optional_fields_default_to_none():
    lm = RecordingLM([reply(a="1", b="x") + "\n[[ ## a ## ]]\n2"])
    state = predict.create("q -> a: int, b, c: Optional[int]")
    assert dict(predict.execute(state, {"q": "x"}, lm=lm)) == {"a": 1, "b": "x", "c": None}


def test_per_call_demos_replace_the_module_demos():
    lm = RecordingLM([reply(a="z"), reply(a="z")])
    state = predict.create("q -> a", demos=[dspex.Example(q="d1", a="e1")])
    predict.execute(state, {"q": "x"}, lm=lm)
    predict.execute(state, {"q": "x"}, lm=lm, demos=[{"q": "d2", "a": "e2"}])
    assert lm.calls[0].messages[1]["content"] == "[[ ## q ## ]]\nd1"
    assert lm.calls[1].messages[1]["content"] == "[[ ## q ## ]]\nd2"


def test_text_demos_render_on_the_first_call_and_others_when_created():
    """Demos whose values are all text are rendered by the first call (a state an optimizer
    never runs costs no rendering); any other demo is rendered at create, so a demo that cannot
    be rendered still fails there and a list changed afterwards does not change the prompt."""
    with pytest.raises(InputError, match="must hold strings"):
        predict.create("q -> a", demos=[{"q": [1, 2], "a": "x"}])
    passages = ["one"]
    state = predict.create("passages: list[str] -> a", demos=[{"passages": passages, "a": "x"}])
    passages.append("two")
    lm = RecordingLM([reply(a="z"), reply(a="z")])
    predict.execute(state, {"passages": ["p"]}, lm=lm)
    assert lm.calls[0].messages[1]["content"] == '[[ ## passages ## ]]\n["one"]'
    text = predict.create("q -> a", demos=[{"q": "d", "a": "e"}, {"q": "f", "a": None}])
    predict.execute(text, {"q": "x"}, lm=lm)
    assert [m["content"] for m in lm.calls[1].messages[1:5]] == [
        "This is an example of the task, though some input or output fields are not supplied.\n\n[[ ## q ## ]]\nf",
        "[[ ## a ## ]]\nNone\n\n[[ ## completed ## ]]\n",
        "[[ ## q ## ]]\nd", "[[ ## a ## ]]\ne\n\n[[ ## completed ## ]]\n"]


def test_instructions_option_and_unsupported_types():
    lm = RecordingLM([reply(a="z")])
    predict.execute(predict.create("q -> a", instructions="Be brief."), {"q": "x"}, lm=lm)
    assert lm.calls[0].messages[0]["content"].endswith("your objective is: \n        Be brief.")
    class Opaque:  # a class pydantic cannot read (nor DSPy)
        pass

    with pytest.raises(CapabilityError, match="type Opaque"):
        predict.create(Signature("q -> a: Opaque", custom_types={"Opaque": Opaque}))


def test_async_with_and_without_acall():
    class SyncOnly:
        def __init__(self):
            self.seen = []

        def __call__(self, messages, **settings):
            self.seen.append(settings)
            return [reply(a="sync")]

    state = predict.create("q -> a", temperature=0.2)
    assert asyncio.run(predict.aexecute(state, {"q": "x"}, lm=SyncOnly())).a == "sync"
    lm = RecordingLM([reply(reasoning="r", a="async")])
    cot = chain_of_thought.create("q -> a")
    pred = asyncio.run(chain_of_thought.aexecute(cot, {"q": "x"}, lm=lm))
    assert (pred.reasoning, pred.a) == ("r", "async")


def test_describe_save_and_load_state_round_trip(tmp_path):
    state = chain_of_thought.create("question -> answer: int", demos=[{"question": "1+1", "answer": 2}],
                                    instructions="Add.", temperature=0.3)
    info = chain_of_thought.describe(state)
    assert info["signature"] == "question -> reasoning: str, answer: int"
    assert info["instructions"] == "Add." and info["config"] == {"temperature": 0.3}
    path = tmp_path / "cot.json"
    chain_of_thought.save(state, path)
    saved = json.loads(path.read_text())
    assert set(saved) == {"predict", "metadata"}
    assert saved["predict"]["demos"] == [{"question": "1+1", "answer": 2}]
    assert saved["predict"]["signature"] == {"instructions": "Add.", "fields": [
        {"prefix": "Question:", "description": "${question}"},
        {"prefix": "Reasoning:", "description": "${reasoning}"},
        {"prefix": "Answer:", "description": "${answer}"},
    ]}
    saved["predict"]["signature"]["fields"][2]["description"] = "The sum."
    loaded = chain_of_thought.load_state("question -> answer: int", saved)
    lm = RecordingLM([reply(reasoning="r", answer="2")] * 2)
    chain_of_thought.execute(loaded, {"question": "2+2"}, lm=lm)
    assert "2. `answer` (int): The sum." in lm.calls[0].messages[0]["content"]
    assert lm.calls[0].messages[0]["content"].endswith("Add.")
    with pytest.raises(InputError):
        chain_of_thought.save(state, tmp_path / "cot.pkl")


def test_registered_and_routed_through_the_facades():
    from dspex_core import registry

    registry.refresh()
    assert registry.has_native("predict") and registry.has_native("chain_of_thought")
    lm = RecordingLM([reply(reasoning="r", answer="Paris")])
    with dspex.context(lm=lm):
        cot = dspex.ChainOfThought.create("question -> answer", implementation="native")
        assert cot.backend == "native"
        assert cot(question="Capital of France?").answer == "Paris"


def test_configured_adapter_applies_when_the_module_names_none():
    lm = RecordingLM(['{"a": "json"}'] * 3)
    state = predict.create("q -> a")
    with dspex.context(adapter="json"):
        assert predict.execute(state, {"q": "x"}, lm=lm).a == "json"
    assert "Respond with a JSON object" in lm.calls[0].messages[-1]["content"]
    explicit = predict.create("q -> a", adapter="chat")
    with dspex.context(adapter="json"):
        assert predict.execute(explicit, {"q": "x"}, lm=lm).a == "json"  # chat, then DSPy's JSON retry
    assert "Respond with the corresponding output fields" in lm.calls[1].messages[-1]["content"]
    assert lm.call_count == 3


def test_over_http_with_an_lm_description():
    from dspex_core.testing.server import LocalLMServer

    recorded = RecordingLM([reply(a="one"), reply(a="two"), "not parseable", '{"a": "fixed"}'])
    with LocalLMServer(recorded) as server:
        lm = dspex.LM("openai/gpt-4o-mini", api_base=server.url, api_key="sk-test", temperature=0.0, cache=False)
        state = predict.create("q -> a", n=2)
        pred = predict.execute(state, {"q": "x"}, lm=lm)
        assert [c["a"] for c in pred.completions] == ["one", "two"]
        custom = RecordingLM([reply(a="one"), reply(a="two")])
        predict.execute(state, {"q": "x"}, lm=custom)
        assert recorded.calls[0].messages == custom.calls[0].messages
        # dspy's own engine asks for each completion in a request of its own (docs/engines.md)
        assert recorded.calls[0].settings["temperature"] == 0.7 and "n" not in recorded.calls[0].settings
        assert len(recorded.calls) == 2
        single = predict.create("q -> a")
        assert predict.execute(single, {"q": "x"}, lm=lm).a == "fixed"
        assert recorded.calls[-1].settings["response_format"]["type"] == "json_schema"
        assert "sk-test" not in repr(recorded.calls)


def test_field_constraints_are_shown_defaults_filled_and_unknown_types_are_capability_errors():
    from dspex_core import InputField, OutputField

    class Bounded(Signature):
        question: str = InputField()
        hint: str = InputField(default="none")
        score: int = OutputField(ge=0, le=10)
        pair: tuple[int, str] = OutputField(default=(0, ""))

    lm = RecordingLM(["[[ ## score ## ]]\n12\n\n[[ ## completed ## ]]"])
    pred = predict.execute(predict.create(Bounded), {"question": "q"}, lm=lm)
    # DSPy shows constraints but does not check replies against them; a missing output takes its default
    assert (pred["score"], pred["pair"]) == (12, (0, ""))
    system, user = (m["content"] for m in lm.calls[0].messages)
    assert "`score` (int): \nConstraints: greater than or equal to: 0, less than or equal to: 10" in system
    assert "[[ ## hint ## ]]\nnone" in user
    class Opaque:  # pydantic cannot read it (nor DSPy)
        pass

    with pytest.raises(CapabilityError, match="type Opaque"):
        predict.create(Signature("q -> a: Opaque", custom_types={"Opaque": Opaque}))


def test_load_state_of_each_implementation():
    saved = {"demos": [{"q": "d", "a": "e"}], "signature": {"instructions": "Loaded.", "fields": [
        {"prefix": "Q:", "description": "the question"}, {"prefix": "A:", "description": "${a}"}]}, "lm": None}
    state = predict.load_state("q -> a", saved)
    assert state.signature.instructions == "Loaded." and state.demos == [{"q": "d", "a": "e"}]
    assert state.signature.input_fields["q"].desc == "the question"
    cot_saved = {"predict": {"demos": [], "signature": {"instructions": "Think.", "fields": [
        {"prefix": "Q:", "description": "${q}"}, {"prefix": "Reasoning:", "description": "${reasoning}"},
        {"prefix": "A:", "description": "${a}"}]}, "lm": None}}
    cot = chain_of_thought.load_state("q -> a", cot_saved)
    assert list(cot.signature.output_fields) == ["reasoning", "a"] and cot.signature.instructions == "Think."
    with pytest.raises(InputError):
        predict.load_state("q -> a", {"nothing": 1})


def test_a_list_of_non_strings_in_a_str_field_is_an_input_error():
    lm = RecordingLM([reply(a="z")])
    with pytest.raises(InputError, match="must hold strings"):
        predict.execute(predict.create("q -> a"), {"q": [1, 2]}, lm=lm)
    assert lm.call_count == 0
