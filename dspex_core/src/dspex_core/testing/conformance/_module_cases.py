"""The case strategies of the agents, the wrappers, the direct LM call (``lm``), the optimizers and
the retrievers, by module type (see ``_module_case``).

Each strategy takes ``kinds``, the kinds of replies its module's predictors get
(``_strategies_lm.REPLY_KINDS``): the ``failures`` property feeds malformed ones (and, for
``react``, unknown tool names, context-window refusals and LM errors), ``prediction`` and
``settings`` parseable ones, ``messages`` a mix, as for ``predict`` (an ``lm`` call's completions
are plain text, nothing parses them: ``"malformed"`` brings it mistakes to refuse and failing
LMs instead). The optimizers' ``compile`` and the retrievers' ``retrieval`` draw from everything
(``"malformed"`` included: unparseable replies, failing servers, mistakes to refuse); the
contract checks give them ``("well_formed",)``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from dspex_core.testing.conformance._coverage import (
    AGENT_MODULE_TYPES,
    LM_CALL_MODULE_TYPES,
    OPTIMIZER_MODULE_TYPES,
    RETRIEVER_MODULE_TYPES,
    WRAPPER_MODULE_TYPES,
)
from dspex_core.testing.conformance._lm_call_cases import lm_call_cases
from dspex_core.testing.conformance._loop_cases import LOOPS, loop_cases
from dspex_core.testing.conformance._masks import PROGRAM_CODE, TOOL_TRACEBACK
from dspex_core.testing.conformance._mcc_cases import multi_chain_cases
from dspex_core.testing.conformance._optimizer_cases import optimizer_cases
from dspex_core.testing.conformance._parallel_cases import parallel_cases
from dspex_core.testing.conformance._pot_cases import program_of_thought_cases
from dspex_core.testing.conformance._react_cases import react_cases
from dspex_core.testing.conformance._retriever_cases import retriever_cases

#: The module types with a ``ModuleCase`` strategy.
MODULE_CASE_TYPES = (AGENT_MODULE_TYPES + WRAPPER_MODULE_TYPES + LM_CALL_MODULE_TYPES + OPTIMIZER_MODULE_TYPES
                     + RETRIEVER_MODULE_TYPES)

#: The known differences each module type's cases may mask (``best_of_n``: when a ``refine`` runs
#: inside it); a report of the type names them.
MASKS = {"react": (TOOL_TRACEBACK,), "refine": (PROGRAM_CODE,), "retry": (PROGRAM_CODE,),
         "best_of_n": (PROGRAM_CODE,)}

#: Known differences the cases of a module type do not draw (until they are resolved); a report
#: of the type names them, as it names its masks.
LEFT_OUT: dict[str, tuple[str, ...]] = {
    "lm": ("logprobs=True in a call's settings on the kit's scripted LM object: dspy's BaseLM wrapper of it gives "
           "{'text', 'logprobs': None} dicts, native hands on the object's strings (over HTTP native gives dspy's "
           "own engine's logprobs: tests/parity/test_logprobs_parity.py)",),
}

#: The replies each property draws from.
KINDS_FOR = {
    "messages": ("well_formed", "json", "malformed"),
    "settings": ("well_formed", "json"),
    "prediction": ("well_formed", "well_formed", "json"),
    "failures": ("malformed", "malformed", "json", "well_formed"),
    "compile": ("well_formed", "malformed"),
    "retrieval": ("well_formed", "malformed"),
}


def module_cases(module_type: str, kinds: tuple[str, ...] = KINDS_FOR["messages"]) -> st.SearchStrategy[Any]:
    """The cases of an agent or wrapper module type."""
    if module_type == "multi_chain_comparison":
        return multi_chain_cases(kinds)
    if module_type == "react":
        return react_cases(kinds)
    if module_type == "program_of_thought":
        return program_of_thought_cases(kinds)
    if module_type in LOOPS:
        return loop_cases(module_type, kinds)
    if module_type == "parallel":
        return parallel_cases()
    if module_type in LM_CALL_MODULE_TYPES:
        return lm_call_cases(kinds)
    if module_type in OPTIMIZER_MODULE_TYPES:
        return optimizer_cases(module_type, kinds)
    if module_type in RETRIEVER_MODULE_TYPES:
        return retriever_cases(module_type, kinds)
    raise ValueError(f"no module cases for {module_type!r}; they are for {', '.join(MODULE_CASE_TYPES)}")
