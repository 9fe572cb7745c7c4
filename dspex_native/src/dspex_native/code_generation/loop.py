"""One ``program_of_thought`` call, sync and async: DSPy 3.4 ProgramOfThought's ``forward``.

1. A fresh interpreter from the module's factory (a new sandbox session: nothing of an earlier
   call is visible), shut down when the call ends, however it ends.
2. ``generate`` asks for code; it is extracted (:mod:`.extract`) and run (:mod:`.execution`).
3. While that fails and fewer than ``max_iters`` attempts were made, ``regenerate`` is asked
   again with ``previous_code`` and ``error``; these stay among the inputs of later steps, as
   in DSPy. After ``max_iters`` failed attempts the call fails with DSPy's "Max hops
   reached" message, as an :class:`~dspex_core.errors.InputError` (what the dspy backend
   makes of DSPy's ``RuntimeError``).
4. ``answer`` is asked for the outputs given ``final_generated_code`` and ``code_output``; its
   prediction (``reasoning`` and the outputs) is the call's.

Inputs, call options and the LM are checked before the first LM call. ``config=`` is accepted
and, as in DSPy's ProgramOfThought (whose ``forward`` keeps only the signature's inputs), not
passed to the steps. The async twin awaits the LM calls and runs the interpreter in a worker
thread of its own (one per call, so an interpreter that must stay on one thread, as DSPy's
do, can).
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import LM, Prediction, input_rules
from dspex_core.config import settings as _settings
from dspex_core.errors import InputError

from dspex_native.code_generation.execution import new_interpreter, run_code
from dspex_native.code_generation.extract import parse_code
from dspex_native.code_generation.signatures import CODE_OUTPUT, ERROR, FINAL_CODE, PREVIOUS_CODE
from dspex_native.code_generation.state import MODULE_TYPE, ProgramOfThoughtState
from dspex_native.predictor import call as predictor
from dspex_native.predictor.options import lm_problem, step_extras

CALL_OPTIONS = frozenset({"lm", "config"})
#: What a regeneration adds to the steps' inputs; the answer step is given them too (as in DSPy)
_REGENERATE_INPUTS = frozenset({PREVIOUS_CODE, ERROR})
MAX_HOPS = "Max hops reached. Failed to run ProgramOfThought: {}"
_CONFIGURE_HINT = ("configure an LM: dspex.configure(lm=dspex.LM('openai/gpt-4o-mini')), pass lm= to create(), "
                   "or pass lm= to this call")


def _inputs(state: ProgramOfThoughtState, inputs: Any) -> dict[str, Any]:
    if not isinstance(inputs, Mapping):
        raise InputError(f"{MODULE_TYPE}: inputs must be a mapping of field names to values, "
                         f"got {type(inputs).__name__}")
    names = state.signature.input_fields
    if inputs.keys() != names.keys():
        inputs = input_rules.check_inputs(MODULE_TYPE, names, inputs)  # raises, or drops ignored names
    return {name: inputs[name] for name in names}


def _lm(state: ProgramOfThoughtState, options: Mapping[str, Any]) -> Any:
    unknown = sorted(set(options) - CALL_OPTIONS)
    if unknown:
        raise InputError(f"{MODULE_TYPE}: unknown call option(s) {unknown}; accepted: {', '.join(sorted(CALL_OPTIONS))}")
    config = options.get("config")
    if config is not None and not isinstance(config, Mapping):
        raise InputError(f"{MODULE_TYPE}: config must be a dict of LM settings")
    lm = options.get("lm")
    if lm is None:
        lm = state.lm if state.lm is not None else _settings().lm
        if lm is None:
            raise InputError(f"no LM for this {MODULE_TYPE} call; {_CONFIGURE_HINT}")
    elif not isinstance(lm, LM):
        problem = lm_problem(lm, MODULE_TYPE)
        if problem is not None:
            raise problem
    return lm


def execute(state: ProgramOfThoughtState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
    """Run the module once (sync); see the module docstring."""
    kwargs = _inputs(state, inputs)
    lm = _lm(state, options)
    interpreter = new_interpreter(state.factory)
    try:
        code, error = parse_code(predictor.execute(state.generate, kwargs, lm=lm))
        output = None
        if error is None:
            output, error = run_code(code, interpreter)
        hop = 1
        while error is not None:
            if hop == state.max_iters:
                raise InputError(f"{MODULE_TYPE}: {MAX_HOPS.format(error)}")
            kwargs[PREVIOUS_CODE], kwargs[ERROR] = code, error
            code, error = parse_code(predictor.execute(state.regenerate, kwargs, lm=lm))
            if error is None:
                output, error = run_code(code, interpreter)
            hop += 1
        kwargs[FINAL_CODE], kwargs[CODE_OUTPUT] = code, output
        with step_extras(_REGENERATE_INPUTS):
            return predictor.execute(state.answer, kwargs, lm=lm)
    finally:
        interpreter.shutdown()


async def aexecute(state: ProgramOfThoughtState, inputs: Mapping[str, Any], **options: Any) -> Prediction:
    """Run the module once (async); see the module docstring."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    kwargs = _inputs(state, inputs)
    lm = _lm(state, options)
    loop = asyncio.get_running_loop()
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dspex-program-of-thought")
    try:
        interpreter = await loop.run_in_executor(worker, new_interpreter, state.factory)
        try:
            code, error = parse_code(await predictor.aexecute(state.generate, kwargs, lm=lm))
            output = None
            if error is None:
                output, error = await loop.run_in_executor(worker, run_code, code, interpreter)
            hop = 1
            while error is not None:
                if hop == state.max_iters:
                    raise InputError(f"{MODULE_TYPE}: {MAX_HOPS.format(error)}")
                kwargs[PREVIOUS_CODE], kwargs[ERROR] = code, error
                code, error = parse_code(await predictor.aexecute(state.regenerate, kwargs, lm=lm))
                if error is None:
                    output, error = await loop.run_in_executor(worker, run_code, code, interpreter)
                hop += 1
            kwargs[FINAL_CODE], kwargs[CODE_OUTPUT] = code, output
            with step_extras(_REGENERATE_INPUTS):
                return await predictor.aexecute(state.answer, kwargs, lm=lm)
        finally:
            await loop.run_in_executor(worker, interpreter.shutdown)
    finally:
        worker.shutdown(wait=False)
