"""``best_of_n``, ``refine`` and ``retry`` cases: a wrapped module, the loop's options, the rewards
and the LM's replies.

The wrapped module (``predict`` or ``chain_of_thought``: its signature, demos and LM settings,
and now and then another loop around it) is created on the backend under test inside the case,
through the public API, then the loop around it. The reward function gives the drawn rewards in
turn (numbers of several types, ``True``, NaN, or an exception); ``N``, ``threshold`` and
``fail_count`` are drawn too. The LM answers by request (:class:`LoopScript`): Refine's advice
request (its system message lists ``program_code``) takes the next advice reply (advice for the
module's predictors or for others, malformed, JSON), every other request the next module reply
(well-formed, JSON or malformed), then a well-formed one. Each attempt's settings
(``rollout_id``, ``temperature=1.0``, the module's own over them) are compared by the
``settings`` property. The one known difference is masked: :data:`._masks.PROGRAM_CODE`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import strategies as st

from dspex_core.testing._strategies_lm import (
    BOUNDARY_TEMPERATURES,
    REASONING,
    demos,
    inputs,
    replies,
    well_formed_replies,
)
from dspex_core.testing._strategies_signatures import SignatureSpec, signatures
from dspex_core.testing._strategies_values import text
from dspex_core.testing.conformance._masks import PROGRAM_CODE
from dspex_core.testing.conformance._module_case import ModuleCase, Queues, echo_fields, with_lm

LOOPS = ("best_of_n", "refine", "retry")
REWARDS = st.one_of(
    st.sampled_from([0.0, 0.25, 0.5, 1.0, 1, 0, True, 1e-05, 1e20, -3.5, 0.30000000000000004, math.nan]),
    st.floats(-2, 2, allow_nan=False, width=32),
    st.just("raise"),
)


def rewarder(values: list[Any]) -> Any:
    """A reward function giving ``values`` in turn (``"raise"``: a ``ValueError``), then 0.0.

    Each run gets its own (the values are consumed); Refine shows the LM its source, which is
    this function's on both backends."""
    remaining = list(values)

    def reward(args, pred):
        value = remaining.pop(0) if remaining else 0.0
        if value == "raise":
            raise ValueError(f"reward says no after {len(values) - len(remaining)} calls")
        return value

    return reward


def _is_advice(messages: list[dict[str, Any]]) -> bool:
    return "`program_code`" in messages[0]["content"]


class LoopScript(Queues):
    """Advice replies to Refine's advice requests, module replies to every other request."""

    def __init__(self, module: list[str], advice: list[str], module_default: str, advice_default: str):
        super().__init__(lambda m: "advice" if _is_advice(m) else "module", {"module": module, "advice": advice},
                         {"module": module_default, "advice": advice_default})


class LoopCase(ModuleCase):
    """One call of a reward loop around a module made in the case."""

    def __init__(self, loop: str, inner: str, nest: str | None, sig: SignatureSpec, inner_options: dict[str, Any],
                 demos: list[dict[str, Any]], rewards: list[Any], loop_options: dict[str, Any],
                 inputs: dict[str, Any], script: dict[str, Any]):
        super().__init__(loop, inputs, loop_options)
        self.inner = inner
        self.nest = nest
        self.sig = sig
        self.inner_options = inner_options
        self.demos = demos
        self.rewards = rewards
        self.script_spec = script

    @property
    def masks(self) -> tuple[Any, ...]:  # type: ignore[override]
        """Only a run with a Refine (or Retry) in it sends ``program_code``."""
        return (PROGRAM_CODE,) if {self.module_type, self.nest} & {"refine", "retry"} else ()

    def script(self) -> Any:
        return LoopScript(**self.script_spec)

    def pure_script(self) -> Any:
        fields = [REASONING, *self.sig.outputs] if self.inner == "chain_of_thought" else list(self.sig.outputs)
        advice = self.script_spec["advice_default"]
        return lambda messages, settings: advice if _is_advice(messages) else echo_fields(fields, messages)

    def make(self, backend: str, lm: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        import dspex_core

        options = dict(self.inner_options)
        if self.demos:
            options["demos"] = [dict(d) for d in self.demos]
        module = dspex_core.create(self.inner, self.sig.build(), implementation=backend, **with_lm(options, lm))
        if self.nest is not None:
            module = dspex_core.create(self.nest, module, N=2, reward_fn=rewarder(self.rewards[::2]), threshold=1.0,
                                       implementation=backend)
        return module, {**self.create_options, "reward_fn": rewarder(self.rewards)}, dict(self.call_options)

    def _repr_lines(self) -> list[str]:
        lines = [f"module={self.inner!r} {self.sig!r} options={self.inner_options!r},"]
        if self.nest:
            lines.append(f"inside {self.nest!r} (N=2, threshold=1.0, every other reward),")
        if self.demos:
            lines.append(f"demos={self.demos!r},")
        lines.append(f"rewards={self.rewards!r},")
        lines.append("script={")
        lines.extend(f"  {k!r}: {v!r}," for k, v in self.script_spec.items())
        lines.append("},")
        return lines


@st.composite
def advice_replies(draw: Any, names: list[str]) -> str:
    """A reply to Refine's advice request: advice for the module's predictors (or others), or not."""
    mode = draw(st.sampled_from(["ok", "ok", "ok", "others", "empty", "not_a_dict", "missing", "json"]))
    keys = names if mode == "ok" else draw(st.lists(st.sampled_from(["self", "predict", "module", "other"]),
                                                    max_size=2, unique=True))
    advice = {key: draw(st.one_of(text(max_size=30), st.sampled_from(["Answer in one word.", "N/A"])))
              for key in keys}
    if mode == "empty":
        advice = {}
    discussion = draw(text(max_size=30))
    if mode == "json":
        return json.dumps({"discussion": discussion, "advice": advice}, ensure_ascii=False)
    value = json.dumps(advice, ensure_ascii=False) if mode != "not_a_dict" else draw(st.sampled_from(["N/A", "[1]"]))
    if mode == "missing":
        return f"[[ ## discussion ## ]]\n{discussion}\n\n[[ ## completed ## ]]"
    return f"[[ ## discussion ## ]]\n{discussion}\n\n[[ ## advice ## ]]\n{value}\n\n[[ ## completed ## ]]"


@st.composite
def loop_cases(draw: Any, loop: str = "best_of_n", kinds: tuple[str, ...] = ("well_formed", "json", "malformed")
               ) -> LoopCase:
    """A :class:`LoopCase` for ``loop``; the module's replies are of ``kinds``."""
    inner = draw(st.sampled_from(["predict", "chain_of_thought"]))
    nest = draw(st.sampled_from([None] * 6 + ["best_of_n", "refine"]))
    sig = draw(signatures())
    fields = [REASONING, *sig.outputs] if inner == "chain_of_thought" else list(sig.outputs)
    n = draw(st.integers(1, 4))
    names = ["predict" if inner == "chain_of_thought" else "self"]
    if nest is not None:
        names = ["module" if name == "self" else f"module.{name}" for name in names]
    inner_options = draw(st.one_of(st.just({}), st.fixed_dictionaries({}, optional={
        "temperature": st.sampled_from([0.0, *BOUNDARY_TEMPERATURES, 0.5]), "n": st.integers(1, 2),
        "rollout_id": st.integers(0, 9),
        "max_tokens": st.just(64)})))
    script = dict(module=[draw(replies(fields, kinds)) for _ in range(draw(st.integers(0, 8)))],
                  advice=[draw(advice_replies(names)) for _ in range(draw(st.integers(0, 4)))],
                  module_default=draw(well_formed_replies(fields)),
                  advice_default=draw(advice_replies(names)))
    loop_options = {"N": n, "threshold": draw(st.sampled_from([0.0, 0.5, 1.0, 2])),
                    "fail_count": draw(st.sampled_from([None, None, 0, 1, 2, -1, 5]))}
    return LoopCase(loop, inner, nest, sig, inner_options, draw(demos(sig, max_size=2)),
                    draw(st.lists(REWARDS, min_size=3 * n, max_size=3 * n)), loop_options, draw(inputs(sig)), script)
