"""``Program``: what ``dspex.load`` returns for a saved ``dspy.Module`` with several predictors.

DSPy saves such a module's predictors, not the ``forward`` that connects them, so a loaded
program is its named predictors, each a :class:`~dspex_core.ModuleRef` that runs on its own
(natively with ``implementation="native"``) and sends the requests its DSPy counterpart sends.
It reads as a mapping from DSPy's names (``module.named_predictors()``: ``"draft.predict"``,
``"check"``) to references, so the code that connected them can be written again around it::

    prog = dspex.load("agent.json", implementation="native")
    prog.names()                       # ['draft.predict', 'check']
    draft = prog["draft.predict"](question="...")
    verdict = prog["check"](answer=draft.answer)

A name the program does not have is an :class:`~dspex_core.errors.UnknownPredictorError` (an
``InputError`` and a ``KeyError``) listing the names it has. A file with one predictor saved by
``dspy.Predict`` or ``dspy.ChainOfThought`` still loads as one ``ModuleRef``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dspex_core._module_ref import ModuleRef

__all__ = ["Program"]


class Program(Mapping):
    """A loaded multi-predictor program: DSPy's predictor names -> ``ModuleRef`` (see the module docs)."""

    __slots__ = ("_predictors", "source")

    def __init__(self, predictors: Mapping[str, ModuleRef], source: str):
        self._predictors = dict(predictors)
        #: what it was loaded from (the file's path, or "the saved program" for a dict)
        self.source = source

    def __getitem__(self, name: str) -> ModuleRef:
        found = self._predictors.get(name) if isinstance(name, str) else None
        if found is None:
            from dspex_core._named_predictors import unknown_predictor

            raise unknown_predictor(name, list(self._predictors), self.source)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._predictors)

    def __len__(self) -> int:
        return len(self._predictors)

    def names(self) -> list[str]:
        """The predictors' names, in the order DSPy saved them."""
        return list(self._predictors)

    def named_predictors(self) -> list[tuple[str, ModuleRef]]:
        """``(name, reference)`` pairs, as DSPy's ``module.named_predictors()``."""
        return list(self._predictors.items())

    def describe(self) -> dict[str, Any]:
        """Each predictor's ``describe()``, by name."""
        return {"source": self.source, "predictors": {name: ref.describe() for name, ref in self._predictors.items()}}

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: {ref.module_type} on {ref.backend}" for name, ref in self._predictors.items())
        return f"Program({{{inner}}})"
