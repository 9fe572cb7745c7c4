"""DSPy's ``BestOfN``: a module run up to N times (rollout ids, temperature 1.0); the best reward wins.

Each attempt runs a deep copy of the module on a copy of its LM (``rollout_id`` start+i), so
every attempt is a fresh request; the first attempt reaching ``threshold`` ends the loop.
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_compat._module import Module
from dspex_compat._settings import settings

__all__ = ["BestOfN", "rollouts"]


def rollouts(module: Any, count: int) -> tuple[Any, list[int]]:
    """The LM the attempts copy and their rollout ids (counting on from the LM's own ``rollout_id``)."""
    lm = module.get_lm() or settings.lm
    start = lm.kwargs.get("rollout_id", 0)
    return lm, [start + i for i in range(count)]


class BestOfN(Module):
    """Run ``module`` up to ``N`` times and return the highest-reward prediction (DSPy's ``dspy.BestOfN``)."""

    def __init__(self, module: Module, N: int, reward_fn: Callable[[dict, Any], float], threshold: float,  # noqa: N803
                 fail_count: int | None = None):
        self.module = module
        self.reward_fn = lambda *args: reward_fn(*args)  # a lambda: not a parameter of the program
        self.threshold = threshold
        self.N = N
        self.fail_count = fail_count or N

    def forward(self, **kwargs: Any) -> Any:
        lm, rollout_ids = rollouts(self.module, self.N)
        best_pred, best_trace, best_reward = None, None, -float("inf")
        for idx, rid in enumerate(rollout_ids):
            mod = self.module.deepcopy()
            mod.set_lm(lm.copy(rollout_id=rid, temperature=1.0))
            try:
                with settings.context(trace=[]):
                    pred = mod(**kwargs)
                    trace = settings.trace.copy()
                    reward = self.reward_fn(kwargs, pred)
                if reward > best_reward:
                    best_reward, best_pred, best_trace = reward, pred, trace
                if reward >= self.threshold:
                    break
            except Exception as exc:
                print(f"BestOfN: Attempt {idx + 1} failed with rollout id {rid}: {exc}")
                if idx > self.fail_count:
                    raise
                self.fail_count -= 1
        if best_trace:
            settings.trace.extend(best_trace)
        return best_pred
