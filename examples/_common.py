"""What the examples share: the choice of LM on the command line, the bundled data, a retriever.

Each example runs on the embedded offline LM (``dspex.OfflineLM()``: deterministic placeholder
answers, no network, not a real model) unless ``--lm PROVIDER/MODEL`` names a real one, e.g.
``--lm openai/gpt-4o-mini`` or ``--lm openai/llama3 --api-base http://127.0.0.1:8000/v1``.
API keys come from the provider's environment variable (``OPENAI_API_KEY``, ...) and never from
the command line, where they would stay in the shell's history.
"""

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

import dspex_core as dspex

DATA = Path(__file__).resolve().parent / "data"


def setup(description: str,
          add_arguments: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """Parse ``--lm``/``--api-base`` (and the example's own arguments), configure the LM, say which."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--lm", metavar="PROVIDER/MODEL",
                        help="a real LM, e.g. openai/gpt-4o-mini (key from the provider's environment variable); "
                             "default: the offline LM")
    parser.add_argument("--api-base", metavar="URL", help="base URL of an OpenAI-compatible server (with --lm)")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args()
    if args.api_base and not args.lm:
        parser.error("--api-base needs --lm, e.g. --lm openai/llama3 --api-base http://127.0.0.1:8000/v1")
    if args.lm and args.lm != dspex.OfflineLM.model:  # --lm dspex/offline: the offline LM, named
        lm: Any = dspex.LM(args.lm, **({"api_base": args.api_base} if args.api_base else {}))
        print(f"LM: {args.lm}" + (f" at {args.api_base}" if args.api_base else ""))
    else:
        lm = dspex.OfflineLM()
        print("LM: dspex/offline (placeholder answers, no network; pass --lm PROVIDER/MODEL for a real one)")
    dspex.configure(lm=lm)
    return args


def require_dspy(what: str) -> None:
    """Stop with a clear message when the dspy backend (dspex-dspy and dspy 3.4) is not installed."""
    if importlib.util.find_spec("dspy") is None or "dspy" not in dspex.registry.installed_backends():
        sys.exit(f"{what} needs the dspy backend: pip install ./dspex_dspy (it installs dspy 3.4)")


def load_corpus() -> list[str]:
    """The bundled passages (examples/data/corpus.json)."""
    return json.loads((DATA / "corpus.json").read_text(encoding="utf-8"))


def load_trivia() -> list[dspex.Example]:
    """The bundled question/answer pairs (examples/data/trivia.json), ``question`` as the input."""
    rows = json.loads((DATA / "trivia.json").read_text(encoding="utf-8"))
    return [dspex.Example(**row).with_inputs("question") for row in rows]


def mentions_answer(example: dspex.Example, pred: dspex.Prediction, trace: Any = None) -> bool:
    """The metric of the optimizing and evaluation examples: the answer names the gold answer."""
    return example.answer.lower() in str(pred.answer).lower()


def _words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z0-9]+", text.lower()) if len(word) > 2}


def corpus_rm(passages: list[str]) -> Callable[..., list[str]]:
    """A local retriever over ``passages``: ``rm(query, k)`` returns the ``k`` passages sharing
    the most words with the query (ties keep corpus order). Any such callable can be a dspex ``rm``."""
    indexed = [(_words(passage), passage) for passage in passages]

    def rm(query: str, k: int = 3) -> list[str]:
        asked = _words(query)
        ranked = sorted(enumerate(indexed), key=lambda item: (-len(asked & item[1][0]), item[0]))
        return [passage for _, (_, passage) in ranked[:k]]

    return rm


def short(value: Any, width: int = 90) -> str:
    """One line of at most ``width`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."
