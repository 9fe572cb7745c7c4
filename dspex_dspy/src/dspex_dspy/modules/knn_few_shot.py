"""``knn_few_shot`` through ``dspy.KNNFewShot``.

``dspy.KNNFewShot(k, trainset, vectorizer, **bootstrap_options)`` takes the trainset when it is
made; dspex takes it at ``dspex.compile`` like every optimizer's and makes the DSPy object there.
The vectorizer is a ``dspy.Embedder`` or what one is made from: a function from a list of texts to
their vectors (any local model, or a deterministic function in tests), or an embedding model's
name (which calls that provider).
"""

from __future__ import annotations

from typing import Any, Mapping

import dspy
from dspex_core.errors import CapabilityError, InputError

from dspex_dspy.optimizers._base import OptimizerImplementation
from dspex_dspy.optimizers._options import parameter_names


class KNNFewShotImpl(OptimizerImplementation):
    """``dspy.KNNFewShot``: the compiled program embeds each call's inputs, takes the ``k`` nearest
    trainset examples and runs ``BootstrapFewShot`` on them to give the program its demos for that
    call. create options: ``k`` and ``vectorizer`` (required), ``BootstrapFewShot``'s options
    (``metric``, ``max_bootstrapped_demos``, ``max_labeled_demos``, ...). compile option:
    ``teacher``. The demos are chosen per call, so the compiled program saves as the program it
    was made from (DSPy's does too)."""

    module_type = "knn_few_shot"
    dspy_class_name = "KNNFewShot"
    metric_required = False
    compile_filled = ("trainset",)

    def init_options(self) -> tuple[str, ...]:
        own = super().init_options()
        return own + tuple(name for name in parameter_names(dspy.BootstrapFewShot.__init__) if name not in own)

    def check_config(self, options: Mapping[str, Any]) -> None:
        k = options.get("k")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InputError(f"knn_few_shot: k must be a positive integer, got {k!r}")
        vectorizer = options.get("vectorizer")
        if not (isinstance(vectorizer, (dspy.Embedder, str)) or callable(vectorizer)):
            raise InputError(f"knn_few_shot: vectorizer must be a function from a list of texts to their vectors, a "
                             f"dspy.Embedder or an embedding model's name, got {type(vectorizer).__name__}")

    def finish_config(self, config: dict[str, Any], sets: dict[str, Any],
                      where: dict[int, tuple[str, int, Any]]) -> dict[str, Any]:
        vectorizer = config["vectorizer"]
        if not isinstance(vectorizer, dspy.Embedder):
            vectorizer = dspy.Embedder(vectorizer)
        return {**config, "vectorizer": vectorizer, "trainset": sets["trainset"]}

    def run_compile(self, optimizer: Any, student: Any, sets: dict[str, Any], options: dict[str, Any],
                    lm: Any) -> Any:
        return optimizer.compile(student.module, **options)

    def unwrap(self, state: str) -> Any:
        raise CapabilityError("knn_few_shot: dspy.KNNFewShot is made from the trainset, which dspex.compile gives; "
                              "there is no dspy object before a compile")


implementation = KNNFewShotImpl()
