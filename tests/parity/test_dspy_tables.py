"""The tables native reads instead of importing dspy are dspy 3.4.1's, and native's decisions
from them are dspy's.

- ``engine_routes.json`` and ``json_support.json`` equal what ``tools/dspy_tables.py`` extracts
  from the dspy installed here (run it to regenerate them);
- for every model of dspy's model metadata snapshot that native can reach (each provider lm15
  serves, with its prefix and, for OpenAI's families, without; Anthropic's and Gemini's on dspy's
  own engine only), and for names the snapshot does
  not know, on dspy's default engine and on ``engine="litellm"``: whether dspy's JSONAdapter
  would add a ``response_format`` and whether it would be a JSON schema
  (``lm.supported_params``, ``lm.supports_response_schema``) is what native decides
  (``dspex_native.adapters._json_support.capabilities``), and the route dspy takes
  (``select_backend``) is native's (``dspex_native.lm.engine.route``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import dspy
import pytest
from dspy.clients.backend_selection import select_backend
from dspy.clients.model_metadata import _snapshot

from dspex_core import LM
from dspex_native.adapters._json_support import capabilities
from dspex_native.adapters._tool_calls import function_calling
from dspex_native.lm.engine import route

ROOT = Path(os.environ.get("DSPEX_TEST_ROOT", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT / "tools"))
import dspy_tables  # noqa: E402

BASE = "http://127.0.0.1:9/v1"
#: lm15's providers and the snapshot namespace their models are listed under.
PREFIXES = {"openai": "openai", "deepseek": "deepseek", "groq": "groq", "openrouter": "openrouter",
            "xai": "xai", "ollama_chat": "ollama", "hosted_vllm": "hosted_vllm", "moonshot": "moonshot",
            "anthropic": "anthropic", "gemini": "gemini"}
UNKNOWN = ["local-model", "gpt-4o-2024-11-20", "gpt-4.1-2025-04-14", "gpt-5.1", "my-finetune", "o3-deep", "llama3"]


def test_shipped_tables_are_what_dspy_has():
    assert dspy.__version__ == "3.4.1"
    assert dspy_tables.main(["--check"]) == 0, "run: python tools/dspy_tables.py"


def _models() -> list[str]:
    data = _snapshot()
    names = set()
    for key, entry in data.items():
        if not isinstance(entry, dict):
            continue
        for prefix, namespace in PREFIXES.items():
            if entry.get("litellm_provider") == namespace:
                name = key[len(namespace) + 1:] if key.startswith(namespace + "/") else key
                names.add(f"{prefix}/{name}")
                if prefix == "openai" and "/" not in name:
                    names.add(name)
    for name in UNKNOWN:
        names.update({name, *(f"{prefix}/{name}" for prefix in PREFIXES)})
    names.update(f"together_ai/{n}" for n in ("meta-llama/Llama-3-70b-chat-hf", "x"))
    return sorted(names)


MODELS = _models()


def _dspy_decision(model: str, engine: str) -> tuple:
    lm = dspy.LM(model, api_base=BASE, api_key="sk-table-test", engine=engine, **_reasoning(model))
    return (select_backend(lm).native, "response_format" in lm.supported_params, lm.supports_response_schema,
            lm.supports_function_calling)


def _native_decision(model: str, engine: str) -> tuple:
    lm = LM(model, api_base=BASE, api_key="sk-table-test", engine=engine, **_reasoning(model))
    return route(lm).own, *capabilities(lm), function_calling(lm)


def _reasoning(model: str) -> dict:
    from dspex_native.lm.providers import is_openai_reasoning_model

    return {"temperature": 1.0} if is_openai_reasoning_model(model) else {}


@pytest.mark.parametrize("engine", ["auto", "litellm"])
def test_native_decides_json_support_and_route_as_dspy_for_every_snapshot_model(engine):
    assert len(MODELS) > 1000
    wrong = []
    for model in MODELS:
        try:
            theirs = _dspy_decision(model, engine)
        except Exception as exc:  # noqa: BLE001 - a name dspy refuses to describe
            theirs = type(exc).__name__
        mine = _native_decision(model, engine) if not isinstance(theirs, str) else theirs
        if mine != theirs:
            wrong.append((model, mine, theirs))
    assert not wrong, f"{len(wrong)} of {len(MODELS)} differ, e.g. {wrong[:10]}"


@pytest.mark.parametrize("model, expected", [
    ("openai/gpt-4o-2024-11-20", "json_schema"),
    ("gpt-4.1-2025-04-14", "json_schema"),
    ("gpt-5.1", "json_schema"),
    ("openai/gpt-3.5-turbo", "json_object"),
    ("openai/local-model", None),
])
def test_models_outside_the_old_catalog(model, expected):
    """The hand-written catalog knew about 30 names; these (sent a schema by dspy) were not among them."""
    from dspex_core import Signature
    from dspex_native.adapters import json_format, response_format

    lm = LM(model, api_base=BASE, api_key="sk-table-test", **_reasoning(model))
    sent = response_format(lm, json_format(Signature("question -> answer")))
    assert (sent or {}).get("type") == expected
