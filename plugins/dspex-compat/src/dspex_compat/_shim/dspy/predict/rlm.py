from dspex_compat._rlm import RLM
from dspex_compat._rlm_code import strip_code_fences as _strip_code_fences

__all__ = ["RLM"]
