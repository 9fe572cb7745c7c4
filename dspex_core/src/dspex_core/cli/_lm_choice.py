"""Which LM a command runs on: ``--lm``/``--api-base``/``--api-key``, the configuration, or offline.

Shared by the commands that call an LM (``dspex demo``, ``dspex run``) so that they choose the
same way and say the same thing about their choice. The description never contains a key:
it says where the key came from, not what it is.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

#: The model used when only a key or a base URL says "use a real LM".
DEFAULT_MODEL = "openai/gpt-4o-mini"
OFFLINE_DESCRIPTION = "dspex/offline: the embedded offline LM (deterministic placeholders, no network)"


def add_lm_arguments(parser: argparse.ArgumentParser) -> None:
    """``--lm``, ``--api-base`` and ``--api-key`` (the key may also come from the environment)."""
    group = parser.add_argument_group("language model (default: the configured one, else the offline LM)")
    group.add_argument("--lm", metavar="PROVIDER/MODEL",
                       help=f"a real LM, e.g. {DEFAULT_MODEL} or ollama_chat/llama3.2; dspex/offline forces the "
                            f"offline LM")
    group.add_argument("--api-base", metavar="URL", help="base URL of an OpenAI-compatible server")
    group.add_argument("--api-key", metavar="KEY",
                       help="API key; prefer the provider's environment variable (e.g. OPENAI_API_KEY), which is "
                            "read when this is not given: a key on a command line stays in the shell's history")


def choose_lm(args: argparse.Namespace) -> tuple[Any, str]:
    """The LM to use and a one-line, key-free description of the choice.

    Precedence: ``--lm`` > an LM configured through ``DSPEX_LM``/``[tool.dspex]``/``configure`` >
    ``--api-base``/``--api-key``/``OPENAI_API_KEY`` (with :data:`DEFAULT_MODEL`) > the
    embedded :class:`~dspex_core.OfflineLM`. ``--lm dspex/offline`` (or ``DSPEX_LM=dspex/offline``)
    forces the offline LM while a key or another LM is configured.
    """
    from dspex_core import LM, OfflineLM, settings
    from dspex_core.config import OFFLINE_MODEL

    extra: dict[str, Any] = {}
    if args.api_base:
        extra["api_base"] = args.api_base
    if args.api_key:
        extra["api_key"] = args.api_key
    key_source = "--api-key" if args.api_key else None
    if args.lm and args.lm.strip() == OFFLINE_MODEL:  # forced, whatever else is configured
        if extra:
            from dspex_core.errors import InputError

            raise InputError(f"--lm {OFFLINE_MODEL} makes no request: it takes neither --api-base nor --api-key")
        return OfflineLM(), OFFLINE_DESCRIPTION
    if args.lm:
        lm = LM(args.lm, **extra)
        return lm, _describe(lm, key_source or _env_key_source(lm))
    configured = settings().lm
    if configured is not None:
        if isinstance(configured, LM):
            return configured, _describe(configured, _env_key_source(configured)) + " (configured)"
        if isinstance(configured, OfflineLM):
            return configured, OFFLINE_DESCRIPTION + " (configured)"
        return configured, f"{type(configured).__name__} (configured custom LM)"
    if extra or os.environ.get("OPENAI_API_KEY"):
        lm = LM(DEFAULT_MODEL, **extra)
        return lm, _describe(lm, key_source or _env_key_source(lm))
    return OfflineLM(), OFFLINE_DESCRIPTION + "; use --lm provider/model, --api-base or OPENAI_API_KEY for a real one"


def _env_key_source(lm: Any) -> str | None:
    if lm.secret("api_key") is not None:
        return "configuration"
    env = f"{lm.provider.upper()}_API_KEY" if lm.provider else ""
    return env if env and os.environ.get(env) else None


def _describe(lm: Any, key_source: str | None) -> str:
    from dspex_core._redact import strip_credentials

    where = lm.settings.get("api_base") or lm.settings.get("base_url")
    text = lm.model + (f" at {strip_credentials(where)}" if where else "")
    return text + (f", key from {key_source}" if key_source else ", no API key")
