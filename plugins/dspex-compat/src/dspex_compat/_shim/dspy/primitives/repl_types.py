from dspex_compat._repl_types import REPLEntry, REPLHistory, REPLVariable

__all__ = ["REPLVariable", "REPLEntry", "REPLHistory"]
