from dspex_compat._interpreter_local import LocalInterpreter

__all__ = ["LocalInterpreter"]
