"""``dspex demo``, the README's first command, run as a subprocess on the installed packages.

With no LM configured it must run on the embedded offline LM and say so; both backends must
serve steps; ``--explain`` must show the fallback from native to dspy; with ``--lm`` and
``--api-base`` it must call that server (and never print the key).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

from dspex_core import OfflineLM
from dspex_core.testing.server import LocalLMServer

DSPEX = str(Path(sys.executable).parent / "dspex")
README = Path(os.environ.get("DSPEX_TEST_ROOT", Path(__file__).parents[2])) / "README.md"


def demo(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("DSPEX_") and not k.endswith("_API_KEY") and not k.endswith("_API_BASE")}
    clean["DSPEX_DISABLE_PLUGINS"] = "example"
    clean.update(env)
    return subprocess.run([DSPEX, "demo", *args], capture_output=True, text=True, env=clean, timeout=300)


def table_rows(text: str, title: str) -> list[list[str]]:
    """The rows of the table printed under the section ``title`` (cells split on 2+ spaces)."""
    section = text.split(title, 1)[1]
    lines = section.splitlines()[1:]
    rows = []
    started = False
    for line in lines:
        if line.strip().startswith("---"):
            started = True
            continue
        if started:
            if not line.startswith("  ") or not line.strip() or line.strip().startswith(("final:", "events:")):
                break
            rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def test_demo_runs_offline_and_both_backends_serve_steps():
    out = demo()
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "LM dspex/offline" in text
    pipeline = {row[0]: row for row in table_rows(text, "Pipeline")}
    assert list(pipeline) == ["1:signature", "2:chain_of_thought", "3:template"]
    assert [row[1] for row in pipeline.values()] == ["native", "auto", "native"]
    assert all(row[2] == "native" for row in pipeline.values())  # auto prefers native
    assert all(row[3].endswith(" ms") for row in pipeline.values())
    assert "keywords=" in pipeline["1:signature"][4] and "analysis=" in pipeline["2:chain_of_thought"][4]
    assert "final: 'Analysis: " in text or "final: Analysis: " in text
    predicts = {row[0]: row for row in table_rows(text, "One Predict per backend")}
    assert set(predicts) == {"native", "dspy"}
    assert predicts["native"][2] == predicts["dspy"][2]  # same LM, same prompt: same answer
    assert "native refused (CapabilityError" in text and "served by dspy" in text


def test_demo_explain_shows_routes_and_the_fallback_event():
    out = demo("--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    fallback = [line for line in out.stdout.splitlines() if "dspex.router.fallback" in line]
    assert len(fallback) == 1
    assert '"from_implementation": "native"' in fallback[0] and '"to_implementation": "dspy"' in fallback[0]
    assert "list[ToolCalls] yet (input field 'turns')" in fallback[0]
    assert "dspex.module.execute" in out.stdout
    assert re.search(r"chain_of_thought: native, dspy", out.stdout)


def test_demo_on_a_real_lm_server_never_prints_the_key():
    with LocalLMServer(OfflineLM()) as server:
        url = server.url
        nonce = uuid.uuid4().hex  # fresh inputs: no LM cache (native's or dspy's on disk) answers for the server
        out = demo("--lm", "openai/test-model", "--api-base", url, "--api-key", "sk-demo-secret-123",
                   "--query", f"explain DSPy {nonce}", "--question", f"What is DSPy {nonce}?")
        requests = server.chat_requests
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"LM openai/test-model at {url}, key from --api-key" in out.stdout
    assert "sk-demo-secret-123" not in out.stdout + out.stderr
    # native: signature step, CoT, Predict; dspy: Predict and the fallback CoT
    assert len(requests) >= 5
    clients = {r["headers"].get("user-agent", "").split("/")[0] for r in requests}
    assert len(clients) == 2, clients  # the native httpx client and dspy's own
    assert {r["body"]["model"] for r in requests} == {"test-model"}


def test_demo_on_a_local_server_needs_no_key_and_every_section_is_served():
    """``dspex demo --api-base URL`` with no key anywhere: a local server needs none, on both backends
    (the dspy backend used to refuse it in two of the three sections)."""
    with LocalLMServer(OfflineLM()) as server:
        out = demo("--lm", "openai/llama3", "--api-base", server.url)
        asked = {r["body"]["model"] for r in server.chat_requests}
    assert out.returncode == 0, out.stdout + out.stderr
    assert "failed" not in out.stdout and "no API key" in out.stdout.splitlines()[0]
    assert {row[0] for row in table_rows(out.stdout, "One Predict per backend")} == {"native", "dspy"}
    assert "served by dspy" in out.stdout and asked == {"llama3"}
    assert "seed" not in out.stdout.lower()  # the headings name what runs, not where the idea came from


def test_demo_uses_openai_api_key_from_the_environment():
    with LocalLMServer(OfflineLM()) as server:
        out = demo("--api-base", server.url, OPENAI_API_KEY="sk-env-secret-456")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "openai/gpt-4o-mini" in out.stdout and "key from OPENAI_API_KEY" in out.stdout
    assert "sk-env-secret-456" not in out.stdout + out.stderr


def test_demo_reports_a_failing_lm_and_exits_nonzero():
    with LocalLMServer(OfflineLM()) as server:
        server.inject(status=401, times=1000)
        out = demo("--lm", "openai/test-model", "--api-base", server.url, "--api-key", "sk-bad")
    assert out.returncode == 1
    failures = [line for line in out.stdout.splitlines() if "failed: " in line]
    assert failures and all("failed: LMError:" in line and "401" in line for line in failures), out.stdout
    assert "sk-bad" not in out.stdout + out.stderr


def test_readme_module_type_table_is_generated_from_the_registry():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSPEX_")}
    env["DSPEX_DISABLE_PLUGINS"] = "example"
    out = subprocess.run([DSPEX, "backends", "--markdown"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- module-types:start -->\n", 1)[1].split("<!-- module-types:end -->", 1)[0]
    assert block == out.stdout, "README's table is stale: paste `DSPEX_DISABLE_PLUGINS=example dspex backends --markdown`"
