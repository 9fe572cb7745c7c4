"""predict and chain_of_thought over real HTTP: dspex.LM -> dspy.LM -> the local OpenAI-compatible server."""

from __future__ import annotations

import re
import traceback

import pytest
from dspy_helpers import chat, dspy_ref

import dspex_core as dspex
from dspex_core.testing import RecordingLM
from dspex_core.backend import redact
from dspex_core.testing.server import LocalLMServer


def http_lm(server, **settings):
    return dspex.LM("openai/test-model", api_base=server.url, api_key="sk-test", cache=False, **settings)


def test_predict_over_http_sends_chat_messages_and_parses_the_reply():
    script = RecordingLM([chat(answer="Paris")])
    with LocalLMServer(script) as server:
        ref = dspex.Predict.create("question -> answer", implementation="dspy", lm=http_lm(server))
        pred = ref(question="Capital of France?")
        requests = server.chat_requests
    assert pred.answer == "Paris"
    assert len(requests) == 1
    body = requests[0]["body"]
    assert body["model"] == "test-model"
    assert body["messages"][-1]["content"].endswith("[[ ## completed ## ]].") or "Capital of France?" in \
        body["messages"][-1]["content"]
    assert requests[0]["auth"] is True and "sk-test" not in repr(requests[0]["headers"])
    assert script.calls[0].messages == body["messages"]


def test_chain_of_thought_over_http_with_settings_from_the_lm():
    script = RecordingLM([chat(reasoning="It is known.", answer="4")])
    with LocalLMServer(script) as server:
        dspex.configure(lm=http_lm(server, temperature=0.2, max_tokens=64))
        ref = dspy_ref("chain_of_thought", "question -> answer: int")
        pred = ref(question="2+2?")
        body = server.chat_requests[0]["body"]
    assert pred.reasoning == "It is known." and pred.answer == 4
    # dspy's OpenAI engine sends max_tokens as max_completion_tokens
    assert body["temperature"] == 0.2 and body.get("max_tokens", body.get("max_completion_tokens")) == 64


@pytest.mark.parametrize("engine, bodies", [
    (None, [{"max_completion_tokens": 64, "temperature": 0.7}] * 2),  # dspy's own engine: n requests
    ("auto", [{"max_completion_tokens": 64, "temperature": 0.7}] * 2),
    ("litellm", [{"max_tokens": 64, "temperature": 0.7, "n": 2}]),  # LiteLLM: one request with n
])
def test_the_engine_setting_reaches_dspy_lm(engine, bodies):
    script = RecordingLM([chat(answer="1"), chat(answer="2")])
    with LocalLMServer(script) as server:
        lm = http_lm(server, max_tokens=64, **({"engine": engine} if engine else {}))
        pred = dspy_ref("predict", "question -> answer: int", lm=lm, n=2)(question="q")
        sent = [{k: v for k, v in r["body"].items() if k not in ("model", "messages")} for r in server.chat_requests]
    assert sent == bodies
    assert [c["answer"] for c in pred.completions] == [1, 2]


def test_http_and_custom_lm_send_the_same_messages():
    script = RecordingLM([chat(answer="x")])
    custom = RecordingLM([chat(answer="x")])
    with LocalLMServer(script) as server:
        dspy_ref("predict", "question -> answer", lm=http_lm(server))(question="q")
        http_messages = server.chat_requests[0]["body"]["messages"]
    dspy_ref("predict", "question -> answer", lm=custom)(question="q")
    assert custom.calls[0].messages == http_messages


def test_a_local_endpoint_needs_no_key(monkeypatch):
    """dspex.LM("openai/llama3", api_base=LOCAL) works as on native: dspy.LM, which insists on a
    key, gets dspex's placeholder (sent to that server only, and not treated as a secret)."""
    for name in ("OPENAI_API_KEY", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    with LocalLMServer(RecordingLM([chat(answer="Paris")])) as server:
        ref = dspex.Predict.create("question -> answer", implementation="dspy",
                                   lm=dspex.LM("openai/llama3", api_base=server.url, cache=False))
        assert ref(question="Capital of France?").answer == "Paris"
        assert server.chat_requests[0]["body"]["model"] == "llama3"
    assert redact("dspex-no-key") == "dspex-no-key"


def test_no_key_for_a_hosted_provider_is_the_config_error_native_raises(monkeypatch):
    """Before any request, one class on both backends, dspy's own hint quoted readably."""
    for name in ("OPENAI_API_KEY", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    ref = dspex.Predict.create("question -> answer", implementation="dspy", lm=dspex.LM("openai/gpt-4o-mini"))
    with pytest.raises(dspex.ConfigError) as info:
        ref(question="q")
    text = str(info.value)
    assert text.startswith("no API key found for 'openai/gpt-4o-mini': set OPENAI_API_KEY")
    assert 'pass api_key="..." to dspy.LM(...)' in text and "<hidden>" not in text
    assert not isinstance(info.value, dspex.LMError) and info.value.__cause__ is None


def test_server_errors_become_lm_errors_that_name_the_model_not_the_key():
    with LocalLMServer(RecordingLM(chat(answer="x"))) as server:
        server.inject(status=400, times=5)
        ref = dspy_ref("predict", "question -> answer", lm=http_lm(server, num_retries=0))
        with pytest.raises(dspex.LMError) as info:
            ref(question="q")
    assert "sk-test" not in str(info.value)
    assert info.value.status == 400


def test_react_and_retry_over_http():
    def lookup(city: str) -> str:
        """Look up the weather."""
        return f"rain in {city}"

    script = RecordingLM([
        chat(next_thought="look", next_tool_name="lookup", next_tool_args={"city": "Oslo"}),
        chat(next_thought="done", next_tool_name="finish", next_tool_args={}),
        chat(reasoning="it rains", answer="rain"),
        chat(answer="ok"),
    ])
    with LocalLMServer(script) as server:
        dspex.configure(lm=http_lm(server))
        react = dspex.ReAct.create("question -> answer", tools=[lookup], implementation="dspy")
        assert react(question="Weather in Oslo?").answer == "rain"
        inner = dspy_ref("predict", "question -> answer")
        retry = dspex.Retry.create(inner, N=2, reward_fn=lambda a, p: 1.0, threshold=1.0, implementation="dspy")
        assert retry(question="q").answer == "ok"
        bodies = [r["body"] for r in server.chat_requests]
    assert len(bodies) == 4
    assert "rain in Oslo" in bodies[1]["messages"][-1]["content"]
    assert bodies[3]["temperature"] == 1.0  # Refine semantics on the wire


# -- every other dspy-backed module type that calls an LM, over HTTP ---------------------------------
#
# Each test points the module at the local server through a dspex.LM with a distinctive model
# name and key, checks that every request reached the server for that model with a credential,
# and that the key appears in no repr, describe() output, error (with its whole chain) or log
# record. The server's error faults echo the key back, as real providers echo part of it.

KEY = "sk-http-test-7f3a9c1e5b2d4f6a8c0e"


def fields_asked(messages):
    """The output fields a ChatAdapter prompt asks for, in order."""
    section = messages[0]["content"].split("Your output fields are:", 1)[1].split("All interactions", 1)[0]
    return re.findall(r"^\d+\. `(\w+)`", section, re.M)


def input_value(messages, name):
    found = re.search(rf"\[\[ ## {name} ## \]\]\n(.*?)(?=\n\n|\Z)", messages[-1]["content"], re.S)
    return found.group(1) if found else ""


class Toy:
    """A responder that answers any ChatAdapter prompt: ``answer`` is the question in capitals,
    other fields come from ``values`` (a constant, or ``(messages) -> value``)."""

    def __init__(self, **values):
        self.values = {"answer": lambda m: input_value(m, "question").upper(), "reasoning": "Think.",
                       "rationale": "They agree.", **values}

    def __call__(self, messages, settings):
        out = {}
        for name in fields_asked(messages):
            value = self.values.get(name, "notes")
            out[name] = value(messages) if callable(value) else value
        return chat(**out)


def key_lm(server, model):
    return dspex.LM(f"openai/{model}", api_base=server.url, api_key=KEY, cache=False, num_retries=0)


def assert_reached(server, model, at_least=1):
    requests = server.chat_requests
    assert len(requests) >= at_least
    assert all(r["body"]["model"] == model for r in requests), {r["body"]["model"] for r in requests}
    assert all(r["auth"] and KEY not in repr(r["headers"]) for r in requests)


def assert_keyless(*things):
    for thing in things:
        text = thing if isinstance(thing, str) else repr(thing)
        assert KEY not in text, text


def error_text(exc):
    """The error as a user or a log sees it: message, repr and the whole chained traceback."""
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)


def assert_key_never_shown(server, ref, fails, caplog, capsys, times=10, echo=True):
    """``repr``/``describe()`` of ``ref`` carry no key; nor does the error ``fails()`` raises when
    the server rejects the key, with its chain, nor any log record or printed output.

    Then the server echoes the key in its rejection: the error dspex raises is still redacted,
    and so are dspy's own print/log lines for the attempts it swallows (BestOfN, Refine and
    BootstrapFewShot quote the exception: the backend's LM redacts its errors first)."""
    assert_keyless(repr(ref), ref.describe(), str(ref.describe()))
    capsys.readouterr()
    server.inject(status=401, message="Incorrect API key provided.", times=times)
    with pytest.raises(Exception) as info:
        fails()
    printed = capsys.readouterr()
    assert_keyless(error_text(info.value), caplog.text, printed.out, printed.err)
    server.clear_faults()
    if not echo:
        return info.value
    server.inject(status=401, message=f"Incorrect API key provided: {KEY}", times=times)
    capsys.readouterr()
    with pytest.raises(Exception) as echoed:
        fails()
    printed = capsys.readouterr()
    assert_keyless(error_text(echoed.value), caplog.text, printed.out, printed.err)
    assert type(echoed.value) is type(info.value)
    return info.value


def test_program_of_thought_over_http(caplog, capsys):
    code = "```python\nresult = sum(range(10))\nSUBMIT({'answer': result})\n```"
    with LocalLMServer(Toy(generated_code=code, answer=lambda m: "45")) as server:
        ref = dspex.ProgramOfThought.create("question -> answer", implementation="dspy",
                                            lm=key_lm(server, "pot-model"))
        assert ref(question="Sum of 0..9?").answer == "45"
        assert_reached(server, "pot-model", at_least=2)
        assert "45" in server.chat_requests[-1]["body"]["messages"][-1]["content"]  # the sandbox ran the code
        error = assert_key_never_shown(server, ref, lambda: ref(question="again?"), caplog, capsys)
    assert isinstance(error, dspex.LMError) and error.status == 401 and error.model


def test_multi_chain_comparison_over_http(caplog, capsys):
    with LocalLMServer(Toy(answer="4")) as server:
        ref = dspex.MultiChainComparison.create("question -> answer", M=2, implementation="dspy",
                                                lm=key_lm(server, "mcc-model"))
        completions = [{"reasoning": "2+2 is 4", "answer": "4"}, {"reasoning": "adding", "answer": "4"}]
        pred = ref(question="2+2?", completions=completions)
        assert (pred.rationale, pred.answer) == ("They agree.", "4")
        assert_reached(server, "mcc-model", at_least=1)
        assert "I'm trying to 2+2 is 4" in server.chat_requests[0]["body"]["messages"][-1]["content"]
        error = assert_key_never_shown(server, ref, lambda: ref(question="q", completions=completions), caplog, capsys)
    assert isinstance(error, dspex.LMError) and error.status == 401


def test_best_of_n_over_http(caplog, capsys):
    answers = iter(["a b c", "a b", "x y z w"])
    with LocalLMServer(Toy(answer=lambda m: next(answers))) as server:
        inner = dspy_ref("predict", "question -> answer", lm=key_lm(server, "bon-model"))
        ref = dspex.BestOfN.create(inner, N=3, reward_fn=lambda a, p: -len(p.answer.split()), threshold=0,
                                   implementation="dspy")
        assert ref(question="q").answer == "a b"
        assert_reached(server, "bon-model", at_least=3)
        assert len(server.chat_requests) == 3
        assert [r["body"]["temperature"] for r in server.chat_requests] == [1.0] * 3
        error = assert_key_never_shown(server, ref, lambda: ref(question="again"), caplog, capsys)
    assert isinstance(error, dspex.LMError) and error.status == 401


def test_refine_over_http_feeds_the_advice_back(caplog, capsys):
    answers = iter(["Paris is the capital", "Paris"])
    toy = Toy(answer=lambda m: next(answers), discussion="too long", advice={"self": "One word."})
    with LocalLMServer(toy) as server:
        inner = dspy_ref("predict", "question -> answer", lm=key_lm(server, "refine-model"))
        ref = dspex.Refine.create(inner, N=3, reward_fn=lambda a, p: float(len(p.answer.split()) == 1),
                                  threshold=1.0, implementation="dspy")
        assert ref(question="Capital of France?").answer == "Paris"
        assert_reached(server, "refine-model", at_least=3)
        assert "One word." in server.chat_requests[-1]["body"]["messages"][-1]["content"]
        error = assert_key_never_shown(server, ref, lambda: ref(question="again"), caplog, capsys)
    assert isinstance(error, dspex.LMError) and error.status == 401


def test_evaluate_of_a_predict_program_over_http(caplog, capsys):
    devset = [dspex.Example(question=w, answer=w.upper()).with_inputs("question") for w in ("apple", "river")]

    def exact(example, pred, trace=None):
        return example.answer == pred.answer

    with LocalLMServer(Toy()) as server:
        program = dspy_ref("predict", "question -> answer", lm=key_lm(server, "eval-model"))
        ev = dspex.Evaluate.create(devset=devset, metric=exact, num_threads=2, max_errors=1, implementation="dspy")
        assert ev(program=program).score == 100.0
        assert_reached(server, "eval-model", at_least=2)
        assert len(server.chat_requests) == 2
        error = assert_key_never_shown(server, ev, lambda: ev(program=program), caplog, capsys)
    assert isinstance(error, dspex.EvaluationError)
    # two threads: the second example may fail before the first failure cancels the run
    assert error.errors and all(isinstance(e, dspex.LMError) and e.status == 401 for _, e in error.errors)


def test_bootstrap_few_shot_compile_over_http(caplog, capsys):
    trainset = [dspex.Example(question=w, answer=w.upper()).with_inputs("question")
                for w in ("apple", "river", "stone")]

    def exact(example, pred, trace=None):
        return example.answer == pred.answer

    with LocalLMServer(Toy()) as server:
        dspex.configure(lm=key_lm(server, "opt-model"))
        program = dspy_ref("predict", "question -> answer")
        optimizer = dspex.BootstrapFewShot.create(metric=exact, max_bootstrapped_demos=2, max_labeled_demos=0,
                                                  max_errors=1)
        compiled = dspex.compile(optimizer, program, trainset=trainset)
        demos = compiled.describe()["demos"]
        assert len(demos) == 2 and all(d["augmented"] and d["answer"] == d["question"].upper() for d in demos)
        assert_reached(server, "opt-model", at_least=2)
        assert_keyless(repr(optimizer), optimizer.describe(), repr(compiled))
        fresh = dspy_ref("predict", "question -> answer")
        error = assert_key_never_shown(server, compiled, lambda: dspex.compile(optimizer, fresh, trainset=trainset),
                                       caplog, capsys)
    assert isinstance(error, dspex.LMError) and error.status == 401 and error.model


def test_compile_redacts_a_key_the_provider_echoes():
    trainset = [dspex.Example(question="apple", answer="APPLE").with_inputs("question")]
    with LocalLMServer(Toy()) as server:
        server.inject(status=401, message=f"Incorrect API key provided: {KEY}", times=10)
        program = dspy_ref("predict", "question -> answer", lm=key_lm(server, "opt-model"))
        optimizer = dspex.BootstrapFewShot.create(metric=lambda e, p, t=None: True, max_errors=1)
        with pytest.raises(dspex.LMError) as info:
            dspex.compile(optimizer, program, trainset=trainset)
        assert_reached(server, "opt-model")
    assert_keyless(error_text(info.value))
