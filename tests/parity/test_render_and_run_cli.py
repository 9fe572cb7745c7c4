"""``dspex render`` and ``dspex run --predictor/--adapter`` on a multi-predictor program saved by
real dspy, against one local OpenAI-compatible server.

``dspex render`` prints the request ``dspex run`` then sends (messages byte for byte, the body's
settings), on both backends; both equal what plain dspy's corresponding predictor sends, with
dspy's JSONAdapter when ``--adapter json`` says so (DSPy does not save the adapter). No key is
ever printed.
"""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import dspy
import pytest

from dspex_core.testing.server import LocalLMServer
from test_run_dspy_program import DSPEX, KEY, cli_env

warnings.filterwarnings("ignore")

REPLIES = {"verdict": '{"verdict": "correct"}',
           "answer": "[[ ## reasoning ## ]]\nAdd.\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"}


def reply(messages: list, settings: dict) -> str:
    return REPLIES["verdict"] if "verdict" in messages[0]["content"] else REPLIES["answer"]


class Agent(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.ChainOfThought("question -> answer")
        self.check = dspy.Predict("question, answer -> verdict")


@pytest.fixture
def program(tmp_path: Path) -> tuple[Agent, Path]:
    agent = Agent()
    agent.draft.predict.demos = [dspy.Example(question="1+1?", reasoning="Add.", answer="2")]
    agent.check.signature = agent.check.signature.with_instructions("Say whether the answer is right.")
    path = tmp_path / "agent.json"
    agent.save(str(path))
    return agent, path


def dspex_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    out = subprocess.run([DSPEX, *args], capture_output=True, text=True, env=cli_env(tmp_path), timeout=180,
                         stdin=subprocess.DEVNULL)
    assert KEY not in out.stdout and KEY not in out.stderr
    return out


def plain_dspy_body(server: LocalLMServer, predictor, inputs: dict, adapter=None) -> dict:
    server.reset()
    lm = dspy.LM("openai/test", api_base=server.url, api_key=KEY, cache=False, num_retries=0)
    with dspy.context(lm=lm, adapter=adapter):
        predictor(**inputs)
    return server.chat_requests[0]["body"]


@pytest.mark.parametrize("predictor, extra, inputs, adapter", [
    ("check", ["--adapter", "json", "--signature", "question, answer -> verdict"],
     {"question": "2+2?", "answer": "4"}, "json"),
    ("draft.predict", [], {"question": "2+2?"}, None),
])
def test_render_is_what_run_sends_and_what_dspy_sends(tmp_path, program, predictor, extra, inputs, adapter):
    agent, path = program
    pairs = [arg for name, value in inputs.items() for arg in ("--input", f"{name}={value}")]
    with LocalLMServer(reply) as server:
        expected = plain_dspy_body(server, dict(agent.named_predictors())[predictor], inputs,
                                   dspy.JSONAdapter() if adapter else None)
        for implementation in ("native", "dspy"):
            common = [str(path), "--predictor", predictor, "--implementation", implementation, "--lm", "openai/test",
                      "--api-base", server.url, "--api-key", KEY, *extra, *pairs]
            shown = dspex_cli(tmp_path, "render", *common)
            assert shown.returncode == 0, shown.stderr
            rendered = json.loads(shown.stdout)
            server.reset()
            ran = dspex_cli(tmp_path, "run", *common)
            assert ran.returncode == 0, ran.stderr
            body = dict(server.chat_requests[0]["body"])
            assert rendered["messages"] == body.pop("messages") == expected["messages"], implementation
            assert rendered["model"] == "openai/test"
            if implementation == "native":
                body.pop("model")
                assert rendered["settings"] == body
            if adapter:
                assert json.loads(ran.stdout) == {"verdict": "correct"}
