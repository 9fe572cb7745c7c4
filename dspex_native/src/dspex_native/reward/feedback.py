"""``Refine``'s advice: the request DSPy 3.4 sends after an attempt below the threshold, and the hints.

The request is a ``Predict`` on DSPy's ``OfferFeedback`` signature (its instructions, field
types and descriptions exactly, including the missing space in "kind ofscenario"), asked of the
loop's own LM (not an attempt's copy), with these inputs, in this order:

* ``program_code``: DSPy sends ``inspect.getsource`` of the wrapped module's dspy class (dspy's
  own source). Native sends the source of the wrapped module's *native implementation class*
  (what native runs for it; :func:`program_code`), the one part of the request that differs;
* ``modules_defn``: DSPy's ``inspect_modules``: per predictor its name, input and output field
  descriptions and instructions (:func:`modules_definition`), byte-identical;
* ``program_inputs``, ``program_trajectory`` (each predictor call's name, inputs with the hint
  given, outputs), ``program_outputs``, ``reward_code`` (``inspect.getsource`` of the reward
  function, or of its class for a callable object), ``target_threshold``, ``reward_value`` and
  ``module_names``: text as it is, anything else as orjson text (:mod:`.json_text`).

The reply's ``advice`` maps predictor names to advice; the next attempts give each predictor
its advice (``"N/A"`` for one it does not name) as ``hint_`` (:mod:`dspex_native.predictor.trace`).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from dspex_core.backend import cleandoc

from dspex_native.reward.json_text import dumps_masked


#: DSPy's ``OfferFeedback`` instructions (its docstring, as ``inspect.cleandoc`` reads it).
OFFER_FEEDBACK_INSTRUCTIONS = (
    "In the discussion, assign blame to each module that contributed to the final reward being below the "
    "threshold, if\nany. Then, prescribe concrete advice of how the module should act on its future input when we "
    "retry the process, if\nit were to receive the same or similar inputs. If a module is not to blame, the advice "
    "should be N/A.\nThe module will not see its own history, so it needs to rely on entirely concrete and "
    "actionable advice from you\nto avoid the same mistake on the same or similar inputs."
)
#: DSPy's ``OfferFeedback`` fields: (name, input or output, type, description), in order.
OFFER_FEEDBACK_FIELDS = (
    ("program_code", "input", str, "The code of the program that we are analyzing"),
    ("modules_defn", "input", str, "The definition of each module in the program, including its I/O"),
    ("program_inputs", "input", str, "The inputs to the program that we are analyzing"),
    ("program_trajectory", "input", str, "The trajectory of the program's execution, showing each module's I/O"),
    ("program_outputs", "input", str, "The outputs of the program that we are analyzing"),
    ("reward_code", "input", str, "The code of the reward function that we are analyzing"),
    ("target_threshold", "input", float, "The target threshold for the reward function"),
    ("reward_value", "input", float, "The reward value assigned to the program's outputs"),
    ("module_names", "input", list[str], "The names of the modules in the program, for which we seek advice"),
    ("discussion", "output", str, "Discussing blame of where each module went wrong, if it did"),
    ("advice", "output", dict[str, str],
     "For each module, describe very concretely, in this order: the specific scenarios in which it has made "
     "mistakes in the past and what each mistake was, followed by what it should do differently in that kind of"
     "scenario in the future. If the module is not to blame, write N/A."),
)


@functools.cache
def offer_feedback() -> Any:
    """DSPy's ``OfferFeedback`` signature (made on first use)."""
    from dspex_core.backend import Field, Signature

    fields = {kind: {name: Field(name, kind, annotation, desc) for name, k, annotation, desc in OFFER_FEEDBACK_FIELDS
                     if k == kind} for kind in ("input", "output")}
    return Signature.from_fields(fields["input"], fields["output"], OFFER_FEEDBACK_INSTRUCTIONS)


@functools.cache
def advice_predictor(module_type: str) -> Any:
    """The predictor state that asks for advice (one per loop module type, for its messages)."""
    from dspex_native.predictor.state import build_state

    return build_state(module_type, offer_feedback(), {}, {})


@functools.cache
def program_code(implementation_class: type) -> str:
    """The code of the wrapped module natively: its implementation class's source."""
    import inspect

    try:
        return inspect.getsource(implementation_class)
    except (OSError, TypeError):
        return (f"class {implementation_class.__name__}:  # dspex's native implementation of "
                f"{getattr(implementation_class, 'module_type', '') or 'the module'} (its source is not available)")


def reward_code(reward_fn: Any) -> str:
    """DSPy's ``inspect.getsource(reward_fn)``, or of its class for a callable object.

    DSPy cannot build a ``Refine`` whose reward function has no source (defined in ``exec``, a
    C function); native says so in the request instead.
    """
    import inspect

    try:
        return inspect.getsource(reward_fn)
    except TypeError:
        try:
            return inspect.getsource(type(reward_fn))
        except (OSError, TypeError):
            pass
    except OSError:
        pass
    name = getattr(reward_fn, "__qualname__", None) or type(reward_fn).__qualname__
    return f"# the source code of the reward function {name} is not available"


def modules_definition(named: list[tuple[str, Any]]) -> str:
    """DSPy's ``inspect_modules``: each predictor's name, fields and instructions, between rules."""
    import textwrap

    # DSPy's get_field_description_string is what the ChatAdapter's system message lists too.
    from dspex_native.adapters._chat import _description_block as describe_fields

    separator = "-" * 80
    indent = "\n" + "\t" * 2
    output = [separator]
    for name, state in named:
        signature = state.signature
        instructions = textwrap.dedent(cleandoc(signature.instructions))
        output.append(f"Module {name}")
        output.append("\n\tInput Fields:")
        output.append(indent.join([""] + describe_fields(signature.input_fields).splitlines()))
        output.append("\tOutput Fields:")
        output.append(indent.join([""] + describe_fields(signature.output_fields).splitlines()))
        output.append(f"\tOriginal Instructions: {indent.join([''] + instructions.splitlines())}")
        output.append(separator)
    return "\n".join(part.strip("\n") for part in output)


def advice_inputs(loop: Any, named: list[tuple[str, Any]], kwargs: dict[str, Any], trace: list, outputs: Any,
                  reward: Any) -> dict[str, str]:
    """The ``OfferFeedback`` inputs after an attempt, built in DSPy's order (and failing where it fails:
    a trace entry of a predictor the module does not name is a ``KeyError``)."""
    predictor2name = {state: name for name, state in named}
    if loop.modules_defn is None:
        loop.modules_defn = modules_definition(named)
    modules = {"program_code": program_code(type(loop.wrapped.implementation)), "modules_defn": loop.modules_defn}
    trajectory = [{"module_name": predictor2name[state], "inputs": inputs, "outputs": dict(prediction)}
                  for state, inputs, prediction in trace]
    run = {"program_inputs": kwargs, "program_trajectory": trajectory, "program_outputs": dict(outputs)}
    if loop.reward_code is None:
        loop.reward_code = reward_code(loop.reward_fn)
    rewarded = {"reward_code": loop.reward_code, "target_threshold": loop.threshold, "reward_value": reward}
    values = dict(**modules, **run, **rewarded, module_names=[name for name, _ in named])
    return {key: value if isinstance(value, str) else dumps_masked(value) for key, value in values.items()}


def hint_for(advice: Any, named: list[tuple[str, Any]]) -> Callable[[Any], Any]:
    """Each predictor's hint: its advice by name, ``"N/A"`` for a predictor the advice does not name
    (or the module does not know: DSPy looks the name up by signature and gets none)."""
    names = {state: name for name, state in named}

    def hint(state: Any) -> Any:
        return advice.get(names.get(state), "N/A")

    return hint
