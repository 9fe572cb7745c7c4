from dspex_compat._python_interpreter import PythonInterpreter

__all__ = ["PythonInterpreter"]
