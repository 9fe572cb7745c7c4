"""Regenerate the tables native reads from dspy 3.4.1 instead of importing dspy.

dspy 3.4 decides two things from data of its own that dspex's native backend must decide the
same way without importing dspy:

* which route a request takes under ``engine="auto"`` (its own engine, lm15, or LiteLLM) and how
  lm15 writes an OpenAI-compatible request (which providers it serves, the max-tokens field
  each one takes, the client settings and body keys it carries): ``engine_routes.json``;
* whether its JSONAdapter asks for a ``response_format`` and whether that is a JSON schema,
  which depends on the route: lm15 reads its model metadata snapshot
  (``dspy/clients/model_metadata/snapshot.json.gz``, with its family rules), LiteLLM its own
  model map: ``json_support.json``.

Run with dspy 3.4.1 installed (the parity environment has it)::

    .tox/parity/bin/python tools/dspy_tables.py          # rewrite the files
    .tox/parity/bin/python tools/dspy_tables.py --check  # exit 1 when they are stale

``tests/parity/test_dspy_tables.py`` runs the check, and also compares native's decisions with
dspy's for every model of the snapshot native can reach.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch model metadata

ROOT = Path(__file__).resolve().parent.parent
NATIVE_LM = ROOT / "dspex_native" / "src" / "dspex_native" / "lm"
NATIVE_ADAPTERS = ROOT / "dspex_native" / "src" / "dspex_native" / "adapters"
ENGINE_FILE = NATIVE_LM / "engine_routes.json"
JSON_FILE = NATIVE_ADAPTERS / "json_support.json"

#: The providers native speaks through LiteLLM's route (OpenAI-compatible, as dspex_native.lm.providers
#: knows them, and Anthropic through LiteLLM's own client): their names in LiteLLM's model map.
LITELLM_PROVIDERS = ("openai", "together_ai", "groq", "mistral", "deepseek", "openrouter", "fireworks_ai",
                     "ollama", "ollama_chat", "hosted_vllm", "xai", "moonshot", "anthropic", "gemini")


def engine_routes() -> dict:
    """lm15's OpenAI-compatible doors, as dspy 3.4.1 has them."""
    import dspy
    from dspy._vendor.lm15.providers import openai_chat
    from dspy._vendor.lm15.registry import lookup
    from dspy._vendor.lm15.router import DEFAULT_RULES, LITELLM_PROVIDER_PREFIXES
    from dspy.clients import backend_selection

    from dspy.lm15 import LMRouter, RouterConfig

    def door(provider: str) -> dict | None:
        """The compat lm15's writer for ``provider`` uses (what reaches the wire), or ``None``
        when lm15 has no Chat Completions door for it or the door rewrites plain messages in a
        way native does not model (such a door is left out: native then cannot match it)."""
        definition = lookup(provider)
        if definition is None or definition.dialect != "openai-chat" or provider.startswith("azure"):
            return None  # (Azure's door needs a resource name; native does not speak Azure)
        router = LMRouter(RouterConfig(env={}, api_keys={provider: "k"}, base_urls={provider: "http://127.0.0.1:9/v1"}))
        writer = router.lm(f"{provider}:x")
        if getattr(writer, "_compat_partial", None) is not None and writer._compat_partial.model_overrides:
            return None  # per-model compat overrides are not modelled
        compat = writer._compat_for("x")
        if compat.instruction_role != "system":
            return None
        return {"provider": provider, "max_tokens_field": compat.max_tokens_field, "json_schema": compat.json_schema,
                # an assistant message gains "reasoning_content": "" (DeepSeek's door)
                "reasoning_content": compat.thinking_replay == "native"
                and compat.assistant_reasoning_content == "include_empty"}

    prefixes = {}
    for prefix, provider in sorted(LITELLM_PROVIDER_PREFIXES.items()):
        found = door(provider)
        if found is not None and not provider.startswith("azure"):
            prefixes[prefix] = found
    from dspy.clients.capabilities import resolve

    bare = []
    for rule in DEFAULT_RULES:  # a model name without a provider prefix
        try:
            provider = resolve(dspy.LM(rule.prefix + "x")).provider
        except Exception:  # noqa: BLE001 - a rule lm15 cannot serve as chat
            continue
        found = door(provider)
        if found is not None:
            bare.append({"prefix": rule.prefix, **found})
    return {
        "dspy": dspy.__version__,
        "prefixes": prefixes,
        "bare_rules": bare,
        "client_keys": sorted(backend_selection.CLIENT_KEYS),
        "native_client_keys": sorted(backend_selection.NATIVE_CLIENT_KEYS),
        "ingest": {
            "config": sorted(openai_chat._INGEST_CONFIG_KEYS),
            "extensions": sorted(openai_chat._INGEST_EXTENSIONS_KEYS),
            "call_mode": sorted(openai_chat._INGEST_CALL_MODE_KEYS),
            "refused": sorted(openai_chat._INGEST_REFUSED_KEYS),
        },
        # Keys dspy's execution drops before its own engine reads the body.
        "dropped": ["n", "num_generations", "rollout_id", "prompt_cache"],
        "litellm_rules": litellm_rules(),
    }


#: LiteLLM's chat-completion parameters that are not request settings (how it is called, where
#: the request goes): never a refusal native reproduces.
_NOT_SETTINGS = frozenset({"model", "messages", "custom_llm_provider", "drop_params", "additional_drop_params",
                           "allowed_openai_params", "api_version", "extra_headers", "max_retries", "metadata",
                           "stream", "stream_options"})


@functools.lru_cache(maxsize=None)
def litellm_rules() -> dict:
    """LiteLLM's per-model rules on its route (``engine="litellm"``), for the providers native
    sends that way: per provider, the request settings LiteLLM refuses before sending (a setting
    of its OpenAI parameters missing from ``get_supported_openai_params`` for the model name it
    sends, without the provider prefix: ``response_format`` for ``gpt-4``, ``temperature`` for
    the search models, ...; ``n=1`` never; an unsupported ``user`` is left out, not refused) for a model its map does not know (``default``) and, per model name
    where that differs, the keys whose verdict is the other one (``models``, comma-separated),
    and the model names whose system message it sends as a user
    message (its o-series config, for models without ``supports_system_messages``)."""
    import litellm
    from litellm.constants import DEFAULT_CHAT_COMPLETION_PARAM_VALUES
    from litellm.types.utils import LlmProviders
    from litellm.utils import ProviderConfigManager

    from litellm.utils import PROVIDER_UNVALIDATED_PARAMS

    settings = [k for k, v in DEFAULT_CHAT_COMPLETION_PARAM_VALUES.items() if v is None and k not in _NOT_SETTINGS]
    # what LiteLLM compares with the supported list (an unsupported one is refused; n=1 never is) ...
    checked = sorted(k for k in settings if k not in PROVIDER_UNVALIDATED_PARAMS)
    # ... and what it never refuses: an unsupported one is left out of the request (user)
    unvalidated = sorted(k for k in settings if k in PROVIDER_UNVALIDATED_PARAMS)

    def refused(provider: str, name: str) -> list[str]:
        supported = set(litellm.get_supported_openai_params(model=name, custom_llm_provider=provider) or ())
        return [key for key in (*checked, *unvalidated) if key not in supported]

    def system_as_user(provider: str, name: str) -> bool:
        config = ProviderConfigManager.get_provider_chat_config(model=name, provider=LlmProviders(provider))
        if getattr(config, "_transform_messages", None) is None:  # (Ollama's own API: not built natively)
            return False
        if provider == "gemini":  # (its messages become Gemini's contents: see gemini_system_messages)
            return False
        sent = config._transform_messages([{"role": "system", "content": "s"}], model=name)
        return sent[0]["role"] != "system"

    providers = {}
    entries = [*litellm.model_cost.items(), *_snapshot().items()]  # LiteLLM's map, then dspy's

    def names_of(provider: str) -> set[str]:
        return {key[len(provider) + 1:] if key.startswith(provider + "/") else key
                for key, entry in entries if isinstance(entry, dict) and entry.get("litellm_provider") == provider}

    openai_names = names_of("openai")  # OpenAI's names through any provider (its rules go by name: gpt-4)
    for provider in LITELLM_PROVIDERS:
        default = refused(provider, _UNKNOWN_MODEL)
        models, rewritten = {}, []
        names = sorted(names_of(provider) | openai_names)
        for name in names:
            found = refused(provider, name)
            if found != default:  # the keys whose verdict differs from the default's, in one string
                models[name] = ",".join(sorted(set(found) ^ set(default)))
            if system_as_user(provider, name):
                rewritten.append(name)
        providers[provider] = {"default": default, "models": models, "system_as_user": rewritten}
    from litellm.litellm_core_utils.model_latest_aliases import get_model_latest_aliases

    # ``{provider: {alias: name}}``: the "-latest" names LiteLLM sends as the model they stand for
    # (its get_llm_provider resolves them before anything else: the body, the rules, the limits)
    aliases = {provider: dict(sorted(found.items())) for provider, found in sorted(get_model_latest_aliases().items())
               if provider in LITELLM_PROVIDERS}
    from litellm.llms.openai.chat.gpt_reasoning_transformation import OpenAIGPT5Config
    from litellm.llms.openai.chat.o_series_transformation import OpenAIOSeriesConfig

    def reasoning(provider: str, name: str) -> bool:  # LiteLLM's value rules for these are not built natively
        config = ProviderConfigManager.get_provider_chat_config(model=name, provider=LlmProviders(provider))
        return isinstance(config, (OpenAIGPT5Config, OpenAIOSeriesConfig))

    aliases_of_reasoning = sorted(f"{provider}/{alias}" for provider, found in aliases.items()
                                  for alias, name in found.items() if reasoning(provider, name))
    return {"checked": checked, "unvalidated": unvalidated, "providers": providers, "latest_aliases": aliases,
            "latest_aliases_of_reasoning_models": aliases_of_reasoning,
            "anthropic_max_tokens": _anthropic_max_tokens(sorted(names_of("anthropic"))),
            "anthropic_without_sampling": _anthropic_without_sampling(sorted(names_of("anthropic"))),
            **_gemini_rules(sorted(names_of("gemini") | _vertex_bare_names()))}


def _anthropic_max_tokens(names: list[str]) -> dict:
    """LiteLLM's ``max_tokens`` for an Anthropic request that sets none: per model name where it is
    not the default (``DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS``, whose environment variable native reads)."""
    import contextlib
    import io

    from litellm.constants import DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS
    from litellm.llms.anthropic.chat.transformation import AnthropicConfig

    models = {}
    with contextlib.redirect_stdout(io.StringIO()):  # (LiteLLM prints its provider list for names it cannot map)
        for name in names:
            found = AnthropicConfig.get_max_tokens_for_model(name)
            if found != DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS:
                models[name] = found
    return {"default": DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS, "models": models}


def _anthropic_without_sampling(names: list[str]) -> list[str]:
    """The Anthropic model names LiteLLM takes no sampling settings for (``top_p``, ``top_k``, a
    ``temperature`` other than 1: its ``_supports_sampling_params``)."""
    from litellm.llms.anthropic.common_utils import AnthropicModelInfo

    return [name for name in names if not AnthropicModelInfo._supports_sampling_params(name)]


def _vertex_bare_names() -> set[str]:
    """The Vertex AI model names LiteLLM's map keys without a prefix: its Gemini client reads their
    entries too for a ``gemini/`` name it has no entry of its own for (``gemini-2.5-pro-preview-06-05``)."""
    import litellm

    return {key for key, entry in litellm.model_cost.items() if "/" not in key and isinstance(entry, dict)
            and str(entry.get("litellm_provider")).startswith("vertex_ai")}


def _gemini_rules(names: list[str]) -> dict:
    """Whether LiteLLM sends a ``system_instruction`` for a Gemini model (its map's
    ``supports_system_messages``; without it the system message is a user turn's part): the names
    it knows, with the answer (``system_messages``, ``no_system_messages``), and for the names it
    does not know its map's generalization rules (``system_message_rules``: a regex searched
    case-insensitively, the answer; the last match wins); and the names it takes no sampling
    settings for (``supports_sampling_params`` false, read from the map alone: ``top_k`` refused)."""
    from litellm.litellm_core_utils.fallback_generalizations import _registry
    from litellm.llms.vertex_ai.common_utils import get_supports_system_message
    from litellm.llms.vertex_ai.gemini.vertex_and_google_ai_studio_gemini import VertexGeminiConfig

    known = [name for name in names if get_supports_system_message(name, "gemini") is not None]
    rules = [[rule.pattern.pattern, rule.model_info["supports_system_messages"]]
             for rule in _registry.capability_rules if "supports_system_messages" in rule.model_info]
    return {"gemini_system_messages": [name for name in known if get_supports_system_message(name, "gemini")],
            "gemini_no_system_messages": [name for name in known if not get_supports_system_message(name, "gemini")],
            "gemini_system_message_rules": rules,
            "gemini_without_sampling": [name for name in names if not VertexGeminiConfig.supports_sampling_params(name)]}


def _namespaces() -> dict[str, tuple[str, ...]]:
    """lm15 provider -> the snapshot namespaces dspy reads its metadata from."""
    from dspy.clients.model_metadata import _provider_names

    doors = {p["provider"]: _provider_names(p["provider"]) for p in
             [*engine_routes()["prefixes"].values(), *engine_routes()["bare_rules"]]}
    # lm15's doors with a wire format of their own, which native writes (dspex_native.lm.wire_*)
    return {**doors, **{provider: _provider_names(provider) for provider in ("anthropic", "gemini")}}


def _snapshot() -> dict:
    import dspy.clients.model_metadata as metadata

    path = Path(metadata.__file__).with_name("snapshot.json.gz")
    return json.loads(gzip.decompress(path.read_bytes()))


def _supports(entry: dict) -> list:
    return [entry.get("supports_response_schema"), entry.get("supports_function_calling")]


def json_support() -> dict:
    """What dspy's JSONAdapter needs to know about a model, on each route.

    ``lm15``: the snapshot's entries in the namespaces lm15's OpenAI-compatible doors read
    (``[supports_response_schema, supports_function_calling, litellm_provider]``, ``null`` when
    unsaid), their
    aliases, and the family rules that fill what an entry leaves unsaid. ``litellm``: LiteLLM's
    answers per provider (:func:`_litellm_decisions`).
    """
    import dspy

    data = _snapshot()
    names = sorted({n for ns in _namespaces().values() for n in ns})
    entries, aliases = {}, {}
    for key, entry in data.items():  # in the snapshot's order: the first entry with an alias wins, as in dspy
        if key in ("sample_spec", "fallback_generalizations") or not isinstance(entry, dict):
            continue
        if entry.get("litellm_provider") not in names:
            continue
        entries[key] = [*_supports(entry), entry["litellm_provider"]]
        for alias in entry.get("aliases") or ():
            if isinstance(alias, str):
                aliases.setdefault(entry["litellm_provider"], {}).setdefault(alias, key)
    rules = []
    for rule in data.get("fallback_generalizations", {}).get("rules", []):
        info = rule.get("model_info") or {}
        found = _supports(info)
        if found == [None, None]:
            continue
        rules.append({"pattern": rule["pattern"], "providers": rule.get("fill_missing_for_providers"),
                      "supports": found})
    return {"dspy": dspy.__version__, "lm15": {"namespaces": {k: list(v) for k, v in sorted(_namespaces().items())},
                                             "entries": entries, "aliases": aliases, "rules": rules},
            "litellm": _litellm_decisions()}


def _litellm_decisions() -> dict[str, dict]:
    """Per provider, LiteLLM's answer (through ``dspy.LM(model, engine="litellm")``) for a model
    its map does not know (``default``: ``[response_format offered, schema supported, function
    calling supported]``), and
    the model strings of its map and of dspy's snapshot answered otherwise (``models``; LiteLLM's
    own family rules answer for names its map lacks)."""
    import dspy
    import litellm

    def decide(model: str) -> list[bool]:
        lm = dspy.LM(model, engine="litellm", api_base="http://127.0.0.1:9/v1", api_key="k",
                     **({"temperature": 1.0} if _reasoning(model) else {}))
        return ["response_format" in lm.supported_params, bool(lm.supports_response_schema),
                bool(lm.supports_function_calling)]

    out: dict[str, dict] = {}
    for provider in LITELLM_PROVIDERS:
        default = decide(f"{provider}/{_UNKNOWN_MODEL}")
        models = {}
        for key, entry in [*litellm.model_cost.items(), *_snapshot().items()]:  # LiteLLM's map, then dspy's
            if not isinstance(entry, dict) or entry.get("litellm_provider") != provider:
                continue
            name = key[len(provider) + 1:] if key.startswith(provider + "/") else key
            spellings = [f"{provider}/{name}"] + ([name] if provider == "openai" and "/" not in name else [])
            for model in spellings:
                try:
                    found = decide(model)
                except Exception:  # noqa: BLE001 - a name dspy.LM refuses: native is not asked either
                    continue
                if found != default:
                    models[model] = found
        out[provider] = {"default": default, "models": dict(sorted(models.items()))}
    return out


#: A model name no map knows.
_UNKNOWN_MODEL = "no-such-model-in-any-map"


def _reasoning(model: str) -> bool:
    from dspy.clients.lm import _is_openai_reasoning_model

    return _is_openai_reasoning_model(model)


def _dump(value: dict) -> str:
    return json.dumps(value, indent=0, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a shipped file differs")
    args = parser.parse_args(argv)
    stale = []
    for path, build in ((ENGINE_FILE, engine_routes), (JSON_FILE, json_support)):
        text = _dump(build())
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)} ({len(text)} bytes)")
    if stale:
        print("stale (run tools/dspy_tables.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
