"""DSPy's ``Embeddings`` retriever (``dspy.retrievers.Embeddings``, ``dspy.Embeddings``): the ``k``
passages of a corpus nearest to a query by embedding similarity, with ``EmbeddingsWithScores``.

The corpus is embedded once, when the retriever is made, by the embedder the user gives (a
function from texts to vectors, or a ``dspy.Embedder`` of one), and normalised unless
``normalize=False``. A query is embedded, scored against every passage (dot products; numpy's
``einsum``, as DSPy) and the ``k`` best returned in order, their corpus indices beside them. A
corpus of ``brute_force_threshold`` passages or more gets DSPy's FAISS index (``faiss-cpu`` must be
installed, as in DSPy) for candidates that are then re-ranked exactly. ``save(path)`` writes DSPy's
directory (``config.json``, ``corpus_embeddings.npy``, ``faiss_index.bin``); ``from_saved`` and
``load`` read it back. numpy is imported when a retriever is made, as in DSPy.

DSPy runs each search through ``Unbatchify`` (a thread that batches concurrent queries); here each
query is embedded and searched on the caller's thread, which returns the same passages.
"""

from __future__ import annotations

import json
import os
from typing import Any

from dspex_core import Prediction

__all__ = ["Embeddings", "EmbeddingsWithScores"]


def _numpy() -> Any:
    import numpy

    return numpy


class Embeddings:
    """The top-``k`` passages of ``corpus`` most similar to a query (DSPy's ``Embeddings``)."""

    def __init__(self, corpus: list[str], embedder: Any, k: int = 5, callbacks: list[Any] | None = None,
                 cache: bool = False, brute_force_threshold: int = 20_000, normalize: bool = True):
        assert cache is False, "Caching is not supported for embeddings-based retrievers"
        self.embedder = embedder
        self.k = k
        self.corpus = corpus
        self.normalize = normalize
        self.corpus_embeddings = self.embedder(self.corpus)
        self.corpus_embeddings = self._normalize(self.corpus_embeddings) if self.normalize else self.corpus_embeddings
        self.index = self._build_faiss() if len(corpus) >= brute_force_threshold else None

    def __call__(self, query: str) -> Prediction:
        return self.forward(query)

    def forward(self, query: str) -> Prediction:
        """``Prediction(passages=[...], indices=[...])``: the ``k`` nearest passages, best first."""
        passages, indices, _scores = self.search_fn(query)
        return Prediction(passages=passages, indices=indices)

    def search_fn(self, query: str) -> tuple[list[str], list[int], list[float]]:
        """``(passages, corpus indices, scores)`` of one query (DSPy's unbatched search)."""
        return self._batch_forward([query])[0]

    def _batch_forward(self, queries: list[str]) -> list[tuple[list[str], list[int], list[float]]]:
        q_embeds = self.embedder(queries)
        q_embeds = self._normalize(q_embeds) if self.normalize else q_embeds
        pids = self._faiss_search(q_embeds, self.k * 10) if self.index else None
        return self._rerank_and_predict(q_embeds, pids)

    def _build_faiss(self) -> Any:
        np = _numpy()
        nbytes = 32
        partitions = int(2 * np.sqrt(len(self.corpus)))
        dim = self.corpus_embeddings.shape[1]
        try:
            import faiss
        except ImportError:
            raise ImportError("Please `pip install faiss-cpu` or increase `brute_force_threshold` to avoid FAISS.")
        quantizer = faiss.IndexFlatL2(dim)
        index = faiss.IndexIVFPQ(quantizer, dim, partitions, nbytes, 8)
        print(f"Training a {nbytes}-byte FAISS index with {partitions} partitions, based on "
              f"{len(self.corpus)} x {dim}-dim embeddings")
        index.train(self.corpus_embeddings)
        index.add(self.corpus_embeddings)
        index.nprobe = min(16, partitions)
        return index

    def _faiss_search(self, query_embeddings: Any, num_candidates: int) -> Any:
        return self.index.search(query_embeddings, num_candidates)[1]

    def _rerank_and_predict(self, q_embeds: Any, candidate_indices: Any) -> list[tuple[list[str], list[int],
                                                                                             list[float]]]:
        np = _numpy()
        if candidate_indices is None:
            self.corpus_embeddings = np.ascontiguousarray(self.corpus_embeddings)
            scores = np.einsum("qd,kd->qk", q_embeds, self.corpus_embeddings, order="C")
        else:
            candidate_embeddings = self.corpus_embeddings[candidate_indices]
            scores = np.einsum("qd,qkd->qk", q_embeds, candidate_embeddings)
        top_k_indices = np.argsort(-scores, axis=1)[:, : self.k]
        top_indices = (top_k_indices if candidate_indices is None
                       else candidate_indices[np.arange(len(q_embeds))[:, None], top_k_indices])
        top_scores = scores[np.arange(len(q_embeds))[:, None], top_k_indices]
        return [([self.corpus[idx] for idx in indices], indices.tolist(), query_scores.tolist())
                for indices, query_scores in zip(top_indices, top_scores, strict=True)]

    def _normalize(self, embeddings: Any) -> Any:
        np = _numpy()
        norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
        return embeddings / np.maximum(norms, 1e-10)

    # -- saving ---------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """DSPy's directory: ``config.json`` (k, normalize, corpus, whether there is a FAISS index),
        ``corpus_embeddings.npy`` and, with FAISS installed, ``faiss_index.bin``."""
        os.makedirs(path, exist_ok=True)
        config = {"k": self.k, "normalize": self.normalize, "corpus": self.corpus,
                  "has_faiss_index": self.index is not None}
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        _numpy().save(os.path.join(path, "corpus_embeddings.npy"), self.corpus_embeddings)
        if self.index is not None:
            try:
                import faiss

                faiss.write_index(self.index, os.path.join(path, "faiss_index.bin"))
            except ImportError:
                pass  # the embeddings are saved: a brute-force search still works

    def load(self, path: str, embedder: Any) -> "Embeddings":
        """Read what :meth:`save` wrote into this retriever (``embedder`` embeds new queries)."""
        if not os.path.exists(path):
            raise FileNotFoundError(f"Save directory not found: {path}")
        config_path = os.path.join(path, "config.json")
        embeddings_path = os.path.join(path, "corpus_embeddings.npy")
        if not os.path.exists(config_path):
            raise FileNotFoundError(f"Config file not found: {config_path}")
        if not os.path.exists(embeddings_path):
            raise FileNotFoundError(f"Embeddings file not found: {embeddings_path}")
        with open(config_path) as f:
            config = json.load(f)
        for field in ("k", "normalize", "corpus", "has_faiss_index"):
            if field not in config:
                raise ValueError(f"Invalid config: missing required field '{field}'")
        self.k = config["k"]
        self.normalize = config["normalize"]
        self.corpus = config["corpus"]
        self.embedder = embedder
        self.corpus_embeddings = _numpy().load(embeddings_path)
        faiss_index_path = os.path.join(path, "faiss_index.bin")
        self.index = None
        if config["has_faiss_index"] and os.path.exists(faiss_index_path):
            try:
                import faiss

                self.index = faiss.read_index(faiss_index_path)
            except ImportError:
                self.index = None  # brute force, as DSPy falls back
        return self

    @classmethod
    def from_saved(cls, path: str, embedder: Any) -> "Embeddings":
        """A retriever read from a saved directory, without embedding the corpus again."""
        instance = cls.__new__(cls)
        instance.load(path, embedder)
        return instance


class EmbeddingsWithScores(Embeddings):
    """:class:`Embeddings` that also returns each passage's similarity score."""

    def forward(self, query: str) -> Prediction:
        """``Prediction(passages=[...], indices=[...], scores=[...])``."""
        passages, indices, scores = self.search_fn(query)
        return Prediction(passages=passages, indices=indices, scores=scores)
