from dspex_core import Completions, Example, Prediction

from dspex_compat._interpreter import (
    CodeExecutionError,
    CodeInterpreter,
    CodeInterpreterError,
    FinalOutput,
    resolve_interpreter_factory,
)
from dspex_compat._module import BaseModule, Module
from dspex_compat._not_built import not_built
from dspex_compat._python_interpreter import PythonInterpreter
from dspex_compat._sandbox_serializable import SandboxSerializable


def __getattr__(name):
    if name == "LocalInterpreter":  # subprocess, threads and asyncio: imported when used
        from dspex_compat._interpreter_local import LocalInterpreter

        return LocalInterpreter
    raise not_built(__name__, name)
