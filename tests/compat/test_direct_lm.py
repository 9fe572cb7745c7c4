"""A ``dspy.LM`` called directly on the layer (``lm(prompt)``, ``lm(messages=..., **settings)``,
``acall``, ``forward``): dspex's ``lm`` module type sends it; the outputs and history entries are
DSPy's. The same program is compared with real dspy in tests/parity/test_compat_programs.py."""

import json

import pytest


def test_the_direct_lm_program_runs_on_the_layer(run):
    done = run("direct_lm")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["outputs"][:4] == [["echo: Say hi"], ["echo: Hello"], ["echo: Twice", "echo: Twice"], ["echo: async"]]
    assert out["outputs"][4][0]["tool_calls"][0]["function"]["name"] == "lookup"
    assert [e["prompt"] for e in out["history"]] == ["Say hi", None, "Twice", None, "use a tool"]
    assert out["history"][1]["kwargs"] == {"temperature": 0.3, "max_tokens": 50}
    assert out["rlm"][0] == "echo: What is 2+2?"  # RLM's llm_query on the provider LM
    assert out["bodies"][1] == {"model": "local-model", "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}],
        "temperature": 0.3, "max_completion_tokens": 50}


def test_a_direct_call_in_process(tmp_path):
    from dspex_compat._lm import LM
    from dspex_core.testing.server import LocalLMServer

    with LocalLMServer("hi there") as server:
        lm = LM("openai/local-model", api_base=server.url, api_key="sk-local", cache=False, num_retries=0)
        assert lm("Say hi") == ["hi there"]
        response = lm.forward(messages=[{"role": "user", "content": "x"}], max_tokens=5)
        assert response["choices"][0]["message"]["content"] == "hi there" and response["usage"]["total_tokens"] > 0
        entry = lm.history[0]
        assert (entry["prompt"], entry["messages"], entry["outputs"]) == ("Say hi", None, ["hi there"])
        assert entry["usage"]["total_tokens"] > 0 and entry["model"] == "openai/local-model" and entry["uuid"]
        copy = lm.copy(temperature=0.9)
        assert copy("again") == ["hi there"] and server.chat_requests[-1]["body"]["temperature"] == 0.9
        with pytest.raises(ValueError, match="Either prompt or messages"):
            lm()


def test_a_pickled_lm_leaves_its_key_out_and_copies_keep_it():
    import copy
    import pickle

    import dspy

    lm = dspy.LM("openai/gpt-4o-mini", api_key="sk-test-not-stored", temperature=0.3)
    data = pickle.dumps(lm)
    assert b"sk-test-not-stored" not in data
    loaded = pickle.loads(data)
    assert loaded._given == {"temperature": 0.3} and loaded.model == "openai/gpt-4o-mini"
    assert copy.deepcopy(lm)._given["api_key"] == "sk-test-not-stored"
    assert copy.copy(lm)._given["api_key"] == "sk-test-not-stored"
