"""DSPy's ``PythonInterpreter`` (Pyodide in Deno), which the layer does not serve yet.

dspex runs LM-written code in its own sandbox (Pyodide in Deno, with time and memory limits),
but only inside its backends' modules: no public dspex API hands out an interpreter session
that host code drives ``execute`` by ``execute``. Until one exists, making a
``PythonInterpreter`` raises a ``CapabilityError`` (a ``NotImplementedError``) that says so and
names the ways out: ``interpreter_factory=dspy.LocalInterpreter`` (a local CPython worker, not a
sandbox) or a factory of your own, on the module or with ``dspy.configure(interpreter_factory=...)``. The class itself exists, with DSPy's
``execution_instructions``, because RLM's prompt and its default factory name it.
"""

from __future__ import annotations

from typing import Any

import dspex_core

__all__ = ["PythonInterpreter"]


class PythonInterpreter:
    """DSPy's Deno/Pyodide interpreter (not built in dspex-compat: making one raises)."""

    #: DSPy's description of this runtime, part of RLM's action prompt.
    execution_instructions = (
        "Python runs in Pyodide/WebAssembly. State persists across executions, but subprocesses and native "
        "extensions are unavailable. Python standard libraries such as re, json, collections, and math are available. "
        "Host filesystem, environment, and network access require explicit permission."
    )

    def __init__(self, *args: Any, **kwargs: Any):
        raise dspex_core.CapabilityError(
            "dspy.PythonInterpreter (DSPy's Deno/Pyodide sandbox) is not built in dspex-compat yet: dspex's "
            "sandbox has no public interpreter API. Pass interpreter_factory=dspy.LocalInterpreter (a local "
            "CPython worker, not a sandbox) or another zero-argument callable that returns a CodeInterpreter to the "
            "module, or set it with dspy.configure(interpreter_factory=...)")
