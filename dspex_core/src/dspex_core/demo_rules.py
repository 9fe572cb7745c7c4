"""DSPy's demo rules: labeled sampling, augmented demos and the pick among several traces.

Public, for every backend and layer that reproduces DSPy's few-shot optimizers (native's
``bootstrap_few_shot``, ``labeled_few_shot``, MIPRO; dspex-compat's ``dspy.BootstrapFewShot``):
the same rules give the same demos.

* ``LabeledFewShot``: every predictor gets ``random.Random(0).sample(trainset, min(k, n))``, one
  generator for all predictors in order (so each predictor gets a different sample), or the
  first ``k`` examples with ``sample=False``.
* A bootstrapped (*augmented*) demo is ``Example(augmented=True, **inputs, **outputs)`` of one
  predictor call in a successful trace.
* When one predictor was called several times for one example (a ReAct step predictor, a
  module calling a predictor in a loop), DSPy keeps one of those demos: seeded with
  ``Hasher.hash(tuple(demos))``, the SHA-256 of the demos' pickle as ``dspy.Example`` objects,
  it takes a random one of the first ones or, with probability one half, the last one.
  :func:`demos_digest` writes the very bytes DSPy's pickle writes (an object of class
  ``dspy.primitives.example.Example`` with DSPy's attributes) without DSPy, so the pick is the
  same.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import pickle
import random
from typing import Any, Mapping, Sequence

__all__ = ["labeled", "augmented", "pick_one", "demos_digest"]


def labeled(names: Sequence[str], trainset: Sequence[Any], k: int, sample: bool = True) -> dict[str, list[Any]]:
    """``LabeledFewShot(k).compile``'s demos per predictor name."""
    if not trainset:
        return {name: [] for name in names}
    rng = random.Random(0)
    size = min(k, len(trainset))
    return {name: (rng.sample(list(trainset), size) if sample else list(trainset[:size])) for name in names}


def augmented(inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any]:
    """DSPy's ``dspy.Example(augmented=True, **inputs, **outputs)`` as a dict, in its key order."""
    demo: dict[str, Any] = {"augmented": True}
    demo.update(inputs)
    demo.update((key, outputs[key]) for key in outputs.keys())
    return demo


def pick_one(demos: list[dict[str, Any]]) -> dict[str, Any]:
    """DSPy's choice among several demos of one predictor from one example."""
    rng = random.Random(demos_digest(demos))
    return rng.choice(demos[:-1]) if rng.random() < 0.5 else demos[-1]


class _DspyExample:
    """Stands for ``dspy.primitives.example.Example`` in a pickle: the same class reference and
    the same instance state (``_store``, ``_demos``, ``_input_keys``, in DSPy's order)."""

    __slots__ = ("store",)

    def __init__(self, store: dict[str, Any]):
        self.store = store

    def __reduce_ex__(self, protocol: int) -> tuple:
        state = {"_store": self.store, "_demos": [], "_input_keys": None}
        return copyreg.__newobj__, (_DspyExample,), state, None, None


class _Pickler(pickle._Pickler):  # the Python pickler: its output is the C pickler's, and it can be extended
    def save_global(self, obj: Any, name: str | None = None) -> None:
        if obj is not _DspyExample:
            super().save_global(obj, name)
            return
        if self.proto < 4:
            raise pickle.PicklingError("demos are hashed as DSPy does, with protocol 4 or later")
        self.save("dspy.primitives.example")
        self.save("Example")
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)


def demos_digest(demos: Sequence[Mapping[str, Any]]) -> str:
    """``dspy.utils.hasher.Hasher.hash(tuple(demos))`` for these demos as ``dspy.Example`` objects."""
    buffer = io.BytesIO()
    _Pickler(buffer, pickle.DEFAULT_PROTOCOL).dump(tuple(_DspyExample(dict(demo)) for demo in demos))
    return hashlib.sha256(buffer.getvalue()).hexdigest()
