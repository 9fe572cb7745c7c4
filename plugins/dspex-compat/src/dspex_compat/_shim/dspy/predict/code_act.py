from dspex_compat._code_act import CodeAct

__all__ = ["CodeAct"]
