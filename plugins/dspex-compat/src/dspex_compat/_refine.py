"""DSPy's ``Refine``: ``BestOfN`` that, after a failed attempt, asks the LM for advice to each
predictor and shows it to them (an extra ``hint_`` input) on the next attempt.

DSPy adds the hint by wrapping the adapter; the layer's adapters are dspex's, so each predictor
of the attempt's copy is given the hint itself (its signature gains the ``hint_`` input and its
call the advice for its name): the same prompts, with the names ``named_predictors`` reports.
"""

from __future__ import annotations

import inspect
import json
import textwrap
from typing import Any, Callable

from dspex_compat._best_of_n import rollouts
from dspex_compat._fields import InputField, OutputField
from dspex_compat._module import Module
from dspex_compat._predict import Predict
from dspex_compat._settings import settings
from dspex_compat._signature import Signature

__all__ = ["Refine", "OfferFeedback", "inspect_modules", "recursive_mask"]


class OfferFeedback(Signature):
    """
    In the discussion, assign blame to each module that contributed to the final reward being below the threshold, if
    any. Then, prescribe concrete advice of how the module should act on its future input when we retry the process, if
    it were to receive the same or similar inputs. If a module is not to blame, the advice should be N/A.
    The module will not see its own history, so it needs to rely on entirely concrete and actionable advice from you
    to avoid the same mistake on the same or similar inputs.
    """

    program_code: str = InputField(desc="The code of the program that we are analyzing")
    modules_defn: str = InputField(desc="The definition of each module in the program, including its I/O")
    program_inputs: str = InputField(desc="The inputs to the program that we are analyzing")
    program_trajectory: str = InputField(desc="The trajectory of the program's execution, showing each module's I/O")
    program_outputs: str = InputField(desc="The outputs of the program that we are analyzing")
    reward_code: str = InputField(desc="The code of the reward function that we are analyzing")
    target_threshold: float = InputField(desc="The target threshold for the reward function")
    reward_value: float = InputField(desc="The reward value assigned to the program's outputs")
    module_names: list[str] = InputField(desc="The names of the modules in the program, for which we seek advice")
    discussion: str = OutputField(desc="Discussing blame of where each module went wrong, if it did")
    advice: dict[str, str] = OutputField(
        desc="For each module, describe very concretely, in this order: the specific scenarios in which it has made "
        "mistakes in the past and what each mistake was, followed by what it should do differently in that kind of"
        "scenario in the future. If the module is not to blame, write N/A."
    )


class _Hinted(Predict):
    """A predictor of a Refine attempt that is shown the advice for it (``hint_``)."""

    def forward(self, **kwargs: Any) -> Any:
        kwargs["hint_"] = self.__dict__["_hint"]
        return super().forward(**kwargs)

    async def aforward(self, **kwargs: Any) -> Any:
        kwargs["hint_"] = self.__dict__["_hint"]
        return await super().aforward(**kwargs)


def _give_hints(module: Module, advice: dict[str, str]) -> None:
    for name, predictor in module.named_predictors():
        if isinstance(predictor, Predict):
            predictor.signature = predictor.signature.append(
                "hint_", InputField(desc="A hint to the module from an earlier run"))
            predictor.__dict__["_hint"] = advice.get(name, "N/A")
            predictor.__class__ = type(f"Hinted{type(predictor).__name__}", (_Hinted, type(predictor)), {})


class Refine(Module):
    """Run ``module`` up to ``N`` times, with advice after each attempt below ``threshold`` (DSPy's ``dspy.Refine``)."""

    def __init__(self, module: Module, N: int, reward_fn: Callable[[dict, Any], float], threshold: float,  # noqa: N803
                 fail_count: int | None = None):
        self.module = module
        self.reward_fn = lambda *args: reward_fn(*args)  # a lambda: not a parameter of the program
        self.threshold = threshold
        self.N = N
        self.fail_count = fail_count or N
        self.module_code = inspect.getsource(module.__class__)
        try:
            self.reward_fn_code = inspect.getsource(reward_fn)
        except TypeError:
            self.reward_fn_code = inspect.getsource(reward_fn.__class__)

    def forward(self, **kwargs: Any) -> Any:
        lm, rollout_ids = rollouts(self.module, self.N)
        best_pred, best_trace, best_reward = None, None, -float("inf")
        advice = None
        for idx, rid in enumerate(rollout_ids):
            mod = self.module.deepcopy()
            mod.set_lm(lm.copy(rollout_id=rid, temperature=1.0))
            predictor2name = {id(predictor): name for name, predictor in mod.named_predictors()}
            module_names = [name for name, _ in mod.named_predictors()]
            try:
                if advice:
                    _give_hints(mod, advice)
                with settings.context(trace=[]):
                    outputs = mod(**kwargs)
                    trace = settings.trace.copy()
                    reward = self.reward_fn(kwargs, outputs)
                if reward > best_reward:
                    best_reward, best_pred, best_trace = reward, outputs, trace
                if self.threshold is not None and reward >= self.threshold:
                    break
                if idx == self.N - 1:
                    break
                trajectory = [{"module_name": predictor2name[id(p)], "inputs": i, "outputs": dict(o)}
                              for p, i, o in trace]
                advise_kwargs = {
                    "program_code": self.module_code, "modules_defn": inspect_modules(mod),
                    "program_inputs": kwargs, "program_trajectory": trajectory, "program_outputs": dict(outputs),
                    "reward_code": self.reward_fn_code, "target_threshold": self.threshold, "reward_value": reward,
                    "module_names": module_names,
                }
                advise_kwargs = {k: v if isinstance(v, str) else _dumps(recursive_mask(v))
                                 for k, v in advise_kwargs.items()}
                advice = Predict(OfferFeedback)(**advise_kwargs).advice
            except Exception as exc:
                print(f"Refine: Attempt failed with rollout id {rid}: {exc}")
                if idx > self.fail_count:
                    raise
                self.fail_count -= 1
        if best_trace:
            settings.trace.extend(best_trace)
        return best_pred


def _dumps(value: Any) -> str:
    """orjson's ``OPT_INDENT_2`` text, as DSPy writes the feedback inputs."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def _field_descriptions(fields: dict[str, Any]) -> str:
    lines = []
    for idx, (name, field) in enumerate(fields.items()):
        extra = getattr(field, "json_schema_extra", None) or {}
        desc = extra.get("desc", "")
        desc = "" if desc == f"${{{name}}}" else desc
        line = f"{idx + 1}. `{name}` ({_type_name(getattr(field, 'annotation', str))}): {desc}"
        if extra.get("constraints"):
            line += f"\nConstraints: {extra['constraints']}"
        lines.append(line)
    return "\n".join(lines).strip()


def _type_name(annotation: Any) -> str:
    """``list[str]``, ``dict[str, str]``: a field's type as the feedback prompt names it."""
    origin = getattr(annotation, "__origin__", None)
    if origin is None:
        return getattr(annotation, "__name__", None) or str(annotation)
    return f"{_type_name(origin)}[{', '.join(_type_name(a) for a in getattr(annotation, '__args__', ()))}]"


def inspect_modules(program: Module) -> str:
    """Each predictor's name, fields and instructions, as the feedback prompt shows them."""
    separator = "-" * 80
    output = [separator]
    for name, predictor in program.named_predictors():
        signature = predictor.signature
        instructions = ("\n" + "\t" * 2).join([""] + textwrap.dedent(signature.instructions).splitlines())
        output.append(f"Module {name}")
        output.append("\n\tInput Fields:")
        output.append(("\n" + "\t" * 2).join([""] + _field_descriptions(signature.input_fields).splitlines()))
        output.append("\tOutput Fields:")
        output.append(("\n" + "\t" * 2).join([""] + _field_descriptions(signature.output_fields).splitlines()))
        output.append(f"\tOriginal Instructions: {instructions}")
        output.append(separator)
    return "\n".join([o.strip("\n") for o in output])


def recursive_mask(o: Any) -> Any:
    """``o`` with what JSON cannot hold replaced by ``<non-serializable: Type>``."""
    try:
        json.dumps(o)
        return o
    except (TypeError, ValueError):
        pass
    if isinstance(o, dict):
        return {k: recursive_mask(v) for k, v in o.items()}
    if isinstance(o, list):
        return [recursive_mask(v) for v in o]
    if isinstance(o, tuple):
        return tuple(recursive_mask(v) for v in o)
    return f"<non-serializable: {type(o).__name__}>"
