from dspex_compat._embeddings import Embeddings, EmbeddingsWithScores
from dspex_compat._not_built import not_built
from dspex_compat._retrieve import Retrieve

__all__ = ["Embeddings", "EmbeddingsWithScores", "Retrieve"]


def __getattr__(name):
    raise not_built(__name__, name)
