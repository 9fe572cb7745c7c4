"""Which module types the kit has properties for, and what that leaves unchecked for one backend.

The kit knows three groups of module types, by how a case runs and which parity properties
apply to it:

* LM modules (:data:`LM_MODULE_TYPES`): a signature, demos, inputs and scripted LM replies;
  the properties ``messages``, ``settings``, ``prediction`` and ``failures``;
* agents (:data:`AGENT_MODULE_TYPES`: ``multi_chain_comparison``, ``react``,
  ``program_of_thought``): a signature and what the agent works with (completions, tools,
  generated code), and an LM that answers each kind of request it sends; the same four
  properties;
* modules around a module (:data:`WRAPPER_MODULE_TYPES`: ``best_of_n``, ``refine``, ``retry``,
  ``parallel``): the wrapped module is created on the backend under test inside the case, and
  the same four properties apply to every request of the whole run;
* direct LM calls (:data:`LM_CALL_MODULE_TYPES`: ``lm``, DSPy's ``lm(messages=[...], **settings)``):
  no spec, messages or a prompt, settings at create and per call, the LM given at create, per
  call or configured, and scripted completions; the same four properties on its one request;
* modules without an LM (:data:`OUTPUT_MODULE_TYPES`): a spec, options and inputs; the
  property ``outputs``;
* evaluation (:data:`EVALUATION_MODULE_TYPES`): a devset, a program and a metric; the
  property ``evaluation``;
* optimizers (:data:`OPTIMIZER_MODULE_TYPES`): a program made on the backend under test, a
  trainset, the optimizer's options and an LM answering from the request alone; the property
  ``compile`` (the same LM requests, the same saved program, or the same error class);
* retrievers (:data:`RETRIEVER_MODULE_TYPES`): a local ColBERTv2-compatible server (or a
  callable ``rm``) started by the case, options and a query; the property ``retrieval`` (the
  same requests to the server, the same passages, or the same error class).

The direct LM calls, optimizers and retrievers are named here, but their kind and their order
come from the table (:func:`_of_kind`): a name that is not a row of that kind stops the kit at
import.

Every other module type, a row of the module-type table (:func:`dspex_core.backend.module_types`:
``code_act``, ``gepa``, ``knn_few_shot``, ...) or a type of a backend's own, is *not covered*: when a backend
serves it nothing checks it, and every report (``dspex parity`` and its ``--json``, a
``BackendConformance`` run's skips and its coverage summary) names it instead of staying
silent. So a module type added to the table shows up as NOT COVERED in every backend's suite
until the kit has properties for it. A covered type the reference does not serve gets the
contract checks only.
"""

from __future__ import annotations

from dspex_core import registry
from dspex_core.backend import module_types


def _of_kind(kind: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` in the module-type table's order, each checked to be a row of ``kind``.

    The kit names the types it has cases for; what they are and where they come in the reports
    is the table's to say, so a renamed or re-kinded row fails here rather than going unchecked."""
    table = module_types()
    wrong = [name for name in names if name not in table or table[name].kind != kind]
    if wrong:
        raise ValueError(f"the conformance kit has cases for {wrong}, which the module-type table has no "
                         f"{kind!r} row for")
    return tuple(name for name in table if name in names)


#: Module types whose cases call an LM.
LM_MODULE_TYPES = ("predict", "chain_of_thought")
#: LM modules with machinery of their own around their predictors (each has its own case).
AGENT_MODULE_TYPES = ("multi_chain_comparison", "react", "program_of_thought")
#: Module types whose spec is another module, which the case creates on the backend under test.
WRAPPER_MODULE_TYPES = ("best_of_n", "refine", "retry", "parallel")
#: Module types that are a direct LM call, without a spec (the table's row says ``none``).
LM_CALL_MODULE_TYPES = _of_kind("module", ("lm",))
#: Every module type checked on its LM requests: the four parity properties apply.
LM_BACKED_MODULE_TYPES = LM_MODULE_TYPES + AGENT_MODULE_TYPES + WRAPPER_MODULE_TYPES + LM_CALL_MODULE_TYPES
#: Module types created with an LM of their own (``lm=``; the modules around a module use their module's).
OWN_LM_MODULE_TYPES = LM_MODULE_TYPES + AGENT_MODULE_TYPES + LM_CALL_MODULE_TYPES
#: Module types whose cases need no LM: compared on their outputs.
OUTPUT_MODULE_TYPES = ("metrics", "signature", "template", "validator")
#: Module types that score a program on a devset.
EVALUATION_MODULE_TYPES = ("evaluate",)

#: Optimizers the kit compiles a program with (each one's options are drawn by ``_optimizer_cases``);
#: the table's other optimizers are not covered.
OPTIMIZER_MODULE_TYPES = _of_kind("optimizer", ("labeled_few_shot", "bootstrap_few_shot",
                                                "bootstrap_few_shot_with_random_search", "copro", "mipro",
                                                "mipro_v2"))
#: Retrievers the kit runs against its own ColBERTv2-compatible server (``_retriever_cases``).
RETRIEVER_MODULE_TYPES = _of_kind("retriever", ("colbert_v2", "retrieve"))
#: Module types the kit has properties for, in the order its reports list them.
KIT_MODULE_TYPES = (LM_BACKED_MODULE_TYPES + OUTPUT_MODULE_TYPES + EVALUATION_MODULE_TYPES + OPTIMIZER_MODULE_TYPES
                    + RETRIEVER_MODULE_TYPES)

#: The module-type table's types the kit has no property for.
TABLE_TYPES_NOT_COVERED = tuple(name for name in module_types() if name not in KIT_MODULE_TYPES)

#: A module type the kit checks fully (parity and contract).
CHECKED = "checked"
#: A module type the kit covers, but the reference does not serve: contract checks only.
CONTRACT_ONLY = "contract only (the reference does not serve it)"
#: A module type the kit has no property for: nothing was checked.
NOT_COVERED = "not covered by the kit"

#: What every report says about a module type the backend serves and the kit does not cover.
NOT_COVERED_NOTE = ("{backend!r} serves {module_type!r} but the kit has no property for it: "
                    "nothing about it was checked")


def serves(backend: str, module_type: str) -> bool:
    """Whether ``backend`` registers an implementation of ``module_type``."""
    return registry.lookup(backend, module_type) is not None


def registered(backend: str) -> list[str]:
    """The module types ``backend`` registers, in registration order."""
    return list(registry.list_by_implementation().get(backend, ()))


def not_covered(backend: str) -> list[str]:
    """The module types ``backend`` registers that the kit has no property for."""
    return [t for t in registered(backend) if t not in KIT_MODULE_TYPES]


def coverage(backend: str, reference: str) -> dict[str, str]:
    """``{module type: CHECKED | CONTRACT_ONLY | NOT_COVERED}`` for every type ``backend`` registers."""
    out = {}
    for module_type in registered(backend):
        if module_type not in KIT_MODULE_TYPES:
            out[module_type] = NOT_COVERED
        elif not serves(reference, module_type):
            out[module_type] = CONTRACT_ONLY
        else:
            out[module_type] = CHECKED
    return out
