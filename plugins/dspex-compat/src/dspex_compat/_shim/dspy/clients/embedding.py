from dspex_compat._embedder import Embedder
