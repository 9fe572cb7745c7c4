"""``dspex run`` on programs saved by plain dspy: optimize with DSPy, serve natively.

Each test makes a program with plain dspy (custom instructions, demos, typed outputs), saves
it, then runs ``dspex run`` as a subprocess (the installed console script) against a local
OpenAI-compatible server, once on the native backend and once on the dspy backend. The two
recorded requests must carry byte-identical ``messages``, equal to what plain dspy itself
sends for the program, and the printed predictions must be equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import warnings
from pathlib import Path

import dspy
import pytest

import dspex_core as dspex
from dspex_core.testing.server import LocalLMServer
from dspex_native.modules.chain_of_thought import implementation as chain_of_thought

warnings.filterwarnings("ignore")

DSPEX = str(Path(sys.executable).parent / "dspex")
KEY = "sk-test"


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_") and k != "OPENAI_API_KEY"}
    env["DSPY_CACHEDIR"] = str(tmp_path / "dspy-cache")  # a fresh cache: every request reaches the server
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    return env


def dspex_run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([DSPEX, "run", *args], input=stdin, capture_output=True, text=True,
                          env=cli_env(tmp_path), timeout=180)


def run_on(server: LocalLMServer, tmp_path: Path, program: Path, implementation: str, inputs: dict[str, str],
           *extra: str) -> tuple[dict, list]:
    """(printed prediction, the messages of the one request it sent)."""
    server.reset()
    pairs = [arg for name, value in inputs.items() for arg in ("--input", f"{name}={value}")]
    out = dspex_run(tmp_path, str(program), "--implementation", implementation, "--lm", "openai/test",
                    "--api-base", server.url, "--api-key", KEY, "--explain", *pairs, *extra)
    assert out.returncode == 0, out.stderr
    assert KEY not in out.stdout and KEY not in out.stderr
    assert f"served by backend {implementation!r}" in out.stderr
    (request,) = server.chat_requests
    return json.loads(out.stdout), request["body"]["messages"]


def plain_dspy_messages(server: LocalLMServer, program, inputs: dict[str, str]) -> tuple[object, list]:
    server.reset()
    lm = dspy.LM("openai/test", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    with dspy.context(lm=lm):
        prediction = program(**inputs)
    (request,) = server.chat_requests
    return prediction, request["body"]["messages"]


def check_parity(tmp_path, program, reply, inputs, *extra):
    path = tmp_path / "program.json"
    program.save(str(path))
    with LocalLMServer(reply) as server:
        theirs, dspy_messages = plain_dspy_messages(server, program, inputs)
        native, native_messages = run_on(server, tmp_path, path, "native", inputs, *extra)
        backend, backend_messages = run_on(server, tmp_path, path, "dspy", inputs, *extra)
    assert native_messages == backend_messages == dspy_messages
    assert native == backend == {k: theirs[k] for k in theirs.keys()}
    return native, native_messages


def test_predict_with_demos_instructions_and_typed_output(tmp_path):
    nonce = uuid.uuid4().hex[:8]
    sig = dspy.Signature("question, context -> answer: int", "Answer with one whole number.")
    program = dspy.Predict(sig)
    program.demos = [dspy.Example(question="How many legs has a cat?", context="animals", answer=4),
                     dspy.Example(question="2+2?", context="maths", answer=4)]
    reply = "[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]"
    out, messages = check_parity(tmp_path, program, reply, {"question": f"Meaning of life? {nonce}", "context": "x"},
                                 "--signature", "question, context -> answer: int")
    assert out == {"answer": 42}
    assert messages[0]["content"].endswith("Answer with one whole number.")
    assert "How many legs has a cat?" in messages[1]["content"]


def test_chain_of_thought_with_demos_instructions_and_typed_outputs(tmp_path):
    nonce = uuid.uuid4().hex[:8]
    sig = dspy.Signature("question -> answer: float, unit", "Give the distance and its unit.")
    program = dspy.ChainOfThought(sig)
    program.predict.demos = [dspy.Example(question="Paris to Lyon?", reasoning="By train.", answer=391.5, unit="km")]
    reply = "[[ ## reasoning ## ]]\nMeasured.\n\n[[ ## answer ## ]]\n2.5\n\n[[ ## unit ## ]]\nm\n\n[[ ## completed ## ]]"
    out, messages = check_parity(tmp_path, program, reply, {"question": f"How long is it? {nonce}"},
                                 "--signature", "question -> answer: float, unit")
    assert out == {"reasoning": "Measured.", "answer": 2.5, "unit": "m"}
    assert "`answer` (float)" in messages[0]["content"]


def test_chain_of_thought_without_signature_is_inferred(tmp_path):
    """str fields: the file alone (reasoning marks the input/output split) is enough."""
    program = dspy.ChainOfThought(dspy.Signature("topic, audience -> title, summary", "Write for experts."))
    program.predict.demos = [dspy.Example(topic="cats", audience="kids", title="Cats", summary="Soft.")]
    reply = ("[[ ## reasoning ## ]]\nr\n\n[[ ## title ## ]]\nT\n\n[[ ## summary ## ]]\nS\n\n"
             "[[ ## completed ## ]]")
    out, _ = check_parity(tmp_path, program, reply, {"topic": f"dogs {uuid.uuid4().hex[:6]}", "audience": "vets"})
    assert out == {"reasoning": "r", "title": "T", "summary": "S"}


def test_inputs_from_stdin_and_default_instructions_predict(tmp_path):
    program = dspy.Predict("question -> answer")
    path = tmp_path / "plain.json"
    program.save(str(path))
    reply = "[[ ## answer ## ]]\nyes\n\n[[ ## completed ## ]]"
    with LocalLMServer(reply) as server:
        _, expected = plain_dspy_messages(server, program, {"question": "stdin?"})
        for implementation in ("native", "dspy"):
            server.reset()
            out = dspex_run(tmp_path, str(path), "--implementation", implementation, "--lm", "openai/test",
                            "--api-base", server.url, "--api-key", KEY, stdin=json.dumps({"question": "stdin?"}))
            assert out.returncode == 0, out.stderr
            assert json.loads(out.stdout) == {"answer": "yes"}
            assert server.chat_requests[0]["body"]["messages"] == expected


def test_native_save_loads_in_plain_dspy_and_runs_with_its_types(tmp_path):
    """Native save writes metadata.dspex; plain dspy still loads the file; dspex run restores the types."""
    state = chain_of_thought.create("question -> answer: int", demos=[{"question": "1+1", "answer": 2}],
                                    instructions="Add the numbers.")
    path = tmp_path / "native.json"
    chain_of_thought.save(state, path)
    saved = json.loads(path.read_text())
    assert saved["metadata"]["dspex"] == {"module_type": "chain_of_thought", "signature": "question -> answer: int"}
    plain = dspy.ChainOfThought("question -> answer: int")
    plain.load(str(path))
    reply = "[[ ## reasoning ## ]]\nsum\n\n[[ ## answer ## ]]\n5\n\n[[ ## completed ## ]]"
    with LocalLMServer(reply) as server:
        theirs, expected = plain_dspy_messages(server, plain, {"question": "2+3"})
        results = [run_on(server, tmp_path, path, impl, {"question": "2+3"}) for impl in ("native", "dspy")]
    assert theirs.answer == 5
    for out, messages in results:
        assert messages == expected and out == {"reasoning": "sum", "answer": 5}


def test_in_process_load_on_both_backends_matches_plain_dspy(tmp_path):
    from dspex_core.testing import RecordingLM

    from _dspy_oracle import CustomLM

    sig = dspy.Signature("question -> answer: bool", "Say whether it is true.")
    program = dspy.ChainOfThought(sig)
    program.predict.demos = [dspy.Example(question="Is water wet?", reasoning="Yes.", answer=True)]
    path = tmp_path / "cot.json"
    program.save(str(path))
    reply = "[[ ## reasoning ## ]]\nno\n\n[[ ## answer ## ]]\nFalse\n\n[[ ## completed ## ]]"
    expected = RecordingLM(reply)
    with dspy.context(lm=CustomLM(expected)):
        program(question="Is fire cold?")
    for implementation in ("native", "dspy"):
        lm = RecordingLM(reply)
        ref = dspex.load(path, implementation=implementation, signature="question -> answer: bool", lm=lm)
        assert (ref.backend, ref.module_type) == (implementation, "chain_of_thought")
        prediction = ref(question="Is fire cold?")
        assert prediction.answer is False and prediction.reasoning == "no"
        assert lm.calls[0].messages == expected.calls[0].messages
        loaded = dspex.load(json.loads(path.read_text()), implementation=implementation,
                            signature="question -> answer: bool")
        assert [dict(d) for d in loaded.describe()["demos"]] == [{"question": "Is water wet?", "reasoning": "Yes.", "answer": True}]


@pytest.mark.parametrize("implementation", ["native", "dspy"])
def test_in_process_mismatched_signature_is_an_input_error(tmp_path, implementation):
    path = tmp_path / "p.json"
    dspy.Predict("question -> answer").save(str(path))
    with pytest.raises(dspex.InputError, match="has 3 field"):
        dspex.load(path, implementation=implementation, signature="question, extra -> answer")


@pytest.mark.usefixtures("clean_pipeline_settings")  # native then dspy: the example plugin is not a candidate
def test_a_loaded_program_falls_back_to_dspy_at_call_time_with_its_demos(tmp_path):
    """Loaded on native, asked for a dspy adapter object (which native does not run): with allow_fallback the
    call is served by dspy from the same saved program, demos and instructions included, and
    dspy sends exactly what plain dspy sends for that program."""
    from dspex_core import telemetry
    from dspex_core.testing import RecordingLM

    program = dspy.Predict(dspy.Signature("question -> answer", "Answer in one word."))
    program.demos = [dspy.Example(question="Capital of Italy?", answer="Rome")]
    path = tmp_path / "program.json"
    program.save(str(path))
    reply = "<answer>\nParis\n</answer>"
    events = []
    telemetry.attach(telemetry.FALLBACK, lambda event, measurements, metadata: events.append(dict(metadata)))
    try:
        with dspex.session():
            ref = dspex.load(path, signature="question -> answer")  # custom instructions hide the split
            assert ref.backend == "native"
            lm = RecordingLM([reply])
            with dspex.context(lm=lm, adapter=dspy.XMLAdapter(), allow_fallback=True):
                prediction = ref(question="Capital of France?")
    finally:
        telemetry.clear()
    assert prediction.answer == "Paris"
    hops = [(e["operation"], e["from_implementation"], e["to_implementation"]) for e in events]
    # native first, dspy last; between them any other installed backend that serves predict and
    # cannot do XML either (the example plugin, in the parity env), whichever order tests ran in
    assert hops[0][:2] == ("execute", "native") and hops[-1][2] == "dspy", hops
    assert all(to == after for (_, _, to), (_, after, _) in zip(hops, hops[1:])), hops
    theirs = RecordingLM([reply])
    from _dspy_oracle import CustomLM

    with dspy.context(lm=CustomLM(theirs), adapter=dspy.XMLAdapter()):
        program(question="Capital of France?")
    assert lm.calls[0].messages == theirs.calls[0].messages
    assert "Capital of Italy?" in str(lm.calls[0].messages) and "Answer in one word." in str(lm.calls[0].messages)
