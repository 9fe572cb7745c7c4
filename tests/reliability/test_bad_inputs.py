"""A user's mistake is a dspex error, the same class on both backends, never a raw internal.

Each mistake the outside probe made is driven through the Python API on native and on dspy:
input fields misspelt, missing or extra (on every module type that takes them, and through
``dspex run``), LM settings of the wrong kind, demos that are no list, a metric that returns
``None``, types no backend can use, a template key that looks like a number, a reply with no
choices; and an LM failure on the dspy backend states its status and attempts as native's does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_core.testing.conformance._contract import INPUT_FIELD_MODULE_TYPES, check_input_fields
from dspex_core.testing.server import LocalLMServer

BACKENDS = ("native", "dspy")
REPLY = "[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"
DSPEX = str(Path(sys.executable).parent / "dspex")


def predict(backend: str, spec: str = "question -> answer", **options: Any) -> dspex.ModuleRef:
    options.setdefault("lm", RecordingLM(REPLY))
    return dspex.Predict.create(spec, implementation=backend, **options)


# -- input fields ----------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_a_misspelt_input_is_an_input_error_naming_the_field_before_any_lm_call(backend):
    lm = RecordingLM(REPLY)
    with pytest.raises(dspex.InputError) as info:
        predict(backend, lm=lm)(questio="What is ML?")
    assert str(info.value) == ("predict: missing input field(s) 'question'; unknown input field(s) 'questio' "
                               "(did you mean 'question'?); the inputs are question")
    assert lm.calls == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_missing_input_is_an_input_error_and_an_optional_one_may_be_left_out(backend):
    lm = RecordingLM(REPLY)
    ref = predict(backend, "question: str, context: Optional[str] -> answer", lm=lm)
    with pytest.raises(dspex.InputError, match=r"missing input field\(s\) 'question'; the inputs are "
                                               r"context \(optional\), question$"):
        ref(context="c")
    assert lm.calls == []
    assert ref(question="q").answer == "ok"  # DSPy leaves an Optional input out of the prompt
    assert "context ## ]]" not in lm.calls[0].messages[-1]["content"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_extra_input_is_ignored_with_a_warning_as_dspy_does(backend):
    lm = RecordingLM(REPLY)
    with pytest.warns(dspex.InputWarning, match="predict: input field\\(s\\) 'mood' not in the signature are "
                                                "ignored; the inputs are question"):
        assert predict(backend, lm=lm)(question="q", mood="zzz-mood").answer == "ok"
    assert "zzz-mood" not in json.dumps([call.messages for call in lm.calls])


@pytest.mark.parametrize("module_type", [t for t in INPUT_FIELD_MODULE_TYPES if t != "program_of_thought"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_module_type_that_takes_inputs_follows_the_input_rule(backend, module_type):
    """The conformance kit's check: misspelt and missing inputs are InputErrors before any LM call
    (the same class as the other backend's), an extra one is ignored with an InputWarning.
    (``program_of_thought``, whose every module starts a sandbox, is left to the kit's run in the
    parity env and tests/native/test_program_of_thought.py: this suite has five minutes.)"""
    check_input_fields(backend, "dspy" if backend == "native" else None, module_type)


def test_the_native_signature_step_names_a_misspelt_input_even_when_not_strict():
    ref = dspex.Signature.create("query: str, k: int ->", strict=False)
    with pytest.raises(dspex.InputError, match=r"misspelt inputs 'qurey' \(did you mean 'query'\?\)"):
        ref(qurey="q", k=3)
    assert ref(query="q", k="3", other=1).k == 3  # not strict: an unrelated name is ignored


def test_a_pipeline_names_the_input_a_misspelt_one_was_meant_to_be():
    pipe = dspex.pipeline([("native", dspex.Predict, {"signature": "question -> answer", "lm": RecordingLM(REPLY)})])
    with pytest.raises(dspex.InputError, match=r"needs the input 'question'; given: 'questio' "
                                               r"\(did you mean 'question' for 'questio'\?\)"):
        dspex.run_pipeline(pipe, {"questio": "q"})


@pytest.fixture(scope="module")
def saved_program(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("program") / "qa.json"
    predict("native").save(str(path))
    return path


@pytest.mark.parametrize("backend", BACKENDS)
def test_dspex_run_with_a_misspelt_input_exits_2_with_one_line(saved_program, backend, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    env.update({"DSPY_CACHEDIR": str(tmp_path / "dspy-cache"), "DSPEX_DISABLE_PLUGINS": "example"})
    out = subprocess.run([DSPEX, "run", str(saved_program), "--implementation", backend, "--input", "questio=hi"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180)
    assert out.returncode == 2, out.stderr
    errors = [line for line in out.stderr.splitlines() if "error" in line]
    assert out.stdout == "" and len(errors) == 1 and "Traceback" not in out.stderr, out.stderr
    assert errors[0].startswith("dspex run: error: InputError: predict: missing input field(s) 'question'")
    assert "did you mean 'question'?" in errors[0]


# -- LM settings, demos, metrics -------------------------------------------------------------------

@pytest.mark.parametrize("where", ["create", "config", "call"])
@pytest.mark.parametrize("setting, value, message", [
    ("temperature", "hot", "predict: temperature must be a number, got 'hot'"),
    ("n", 0, "predict: n must be a positive integer, got 0"),
    ("max_tokens", "100", "predict: max_tokens must be a positive integer, got '100'"),
])
@pytest.mark.parametrize("backend", BACKENDS)
def test_an_lm_setting_of_the_wrong_kind_is_the_same_input_error(backend, setting, value, message, where):
    lm = RecordingLM(REPLY)
    with pytest.raises(dspex.InputError) as info:
        if where == "create":
            predict(backend, lm=lm, **{setting: value})(question="q")
        elif where == "config":
            predict(backend, lm=lm, config={setting: value})(question="q")
        else:
            predict(backend, lm=lm)(question="q", config={setting: value})
    assert str(info.value) == message and lm.calls == []


@pytest.mark.parametrize("where", ["create", "call"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_config_that_is_not_a_dict_is_an_input_error(backend, where):
    with pytest.raises(dspex.InputError, match="predict: config must be a dict of LM settings, got list"):
        if where == "create":
            predict(backend, config=[("temperature", 1)])
        else:
            predict(backend)(question="q", config=[("temperature", 1)])


@pytest.mark.parametrize("where", ["create", "call"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_demos_that_are_no_list_are_an_input_error(backend, where):
    with pytest.raises(dspex.InputError, match="demos must be a list of dspex.Example or dicts, got int"):
        if where == "create":
            predict(backend, demos=5)
        else:
            predict(backend)(question="q", demos=5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_metric_returning_none_is_an_input_error_naming_it(backend):
    def forgot_return(example, prediction, trace=None):
        example.answer == prediction.answer  # noqa: B015 - the mistake under test

    devset = [dspex.Example(question=f"q{i}", answer="ok").with_inputs("question") for i in range(3)]
    evaluate = dspex.create("evaluate", implementation=backend, devset=devset, metric=forgot_return, num_threads=1)
    with pytest.raises(dspex.InputError) as info:
        dspex.execute(evaluate, {"program": predict(backend)})
    assert str(info.value) == ("evaluate: the metric 'forgot_return' returned None for devset[0] (3 of 3 examples); "
                               "a metric returns a number or a bool (is a `return` missing?)")


# -- types and templates ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec, message", [
    ("question: dict[str, ...] -> answer", "'...' is only allowed as tuple[X, ...]"),
    ("question -> answer: list[int, str]", "list takes exactly one type argument, got 2"),
    ("question -> answer: " + "list[" * 200 + "str" + "]" * 200, "nests more than 100 levels deep"),
])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_type_no_backend_can_use_is_the_same_signature_error(backend, spec, message):
    with pytest.raises(dspex.SignatureError, match=message.replace("[", r"\[").replace(".", r"\.")):
        predict(backend, spec)


def test_a_template_key_that_looks_like_a_number_is_a_key():
    """``{x[³]}``: "³" is a digit that ``int()`` cannot read; as ``str.format`` does, it is a key."""
    ref = dspex.Template.create("{x[³]}")
    assert ref(x={"³": "cubed"}).text == "cubed" == "{x[³]}".format(x={"³": "cubed"})
    with pytest.raises(dspex.InputError):
        ref(x=["a"])


# -- what the LM sends back ------------------------------------------------------------------------

class _NoChoices(BaseHTTPRequestHandler):
    """An OpenAI-compatible server whose every answer has an empty ``choices`` list."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.hits += 1
        body = json.dumps({"id": "x", "object": "chat.completion", "model": "m", "choices": [],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 0, "total_tokens": 1}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def no_choices() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoChoices)
    server.hits = 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reply_without_choices_is_the_same_parse_error_after_the_same_calls(backend, no_choices):
    url = f"http://127.0.0.1:{no_choices.server_address[1]}/v1"
    lm = dspex.LM("openai/no-choices", api_base=url, api_key="sk-test", cache=False, num_retries=0)
    with pytest.raises(dspex.AdapterParseError):
        predict(backend, lm=lm)(question="q")
    assert no_choices.hits == 2  # the chat request, then DSPy's JSON retry


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_custom_lm_returning_no_completion_is_the_same_parse_error(backend):
    lm = RecordingLM(lambda messages, settings: [])
    with pytest.raises(dspex.AdapterParseError):
        predict(backend, lm=lm)(question="q")
    assert len(lm.calls) == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_lm_failure_states_its_status_and_attempts(backend):
    with LocalLMServer(REPLY) as server:
        server.inject(status=503, times=50, retry_after=0, message="overloaded")
        lm = dspex.LM("openai/fault-model", api_base=server.url, api_key="sk-test", cache=False, num_retries=2,
                      retry_base_delay=0.01, retry_max_delay=0.01)
        with pytest.raises(dspex.LMError) as info:
            predict(backend, lm=lm)(question="q")
    error = info.value
    assert (error.status, error.attempts) == (503, 3) and len(server.requests) == 3
    assert "'openai/fault-model'" in str(error) and "failed after 3 attempts (last status: 503)" in str(error)
