"""The attempts of one reward-loop call, exactly as DSPy 3.4's ``BestOfN.forward``/``Refine.forward``.

Per attempt ``idx`` (``rid = start + idx``, ``start`` being the LM's own ``rollout_id`` or 0):
run the wrapped module on the LM copied with ``rollout_id=rid, temperature=1.0`` in a fresh
trace (under the hints, for ``Refine`` once it has advice), score it with
``reward_fn(inputs, prediction)``, keep it if it beats the best so far and stop if it reaches
``threshold``; ``Refine`` then, unless this was the last attempt, asks for advice. Anything an
attempt raises (the module, the reward function, the advice request) is printed as DSPy prints it
(``"BestOfN: Attempt 2 failed with rollout id 1: ..."``, ``"Refine: Attempt failed with rollout id
1: ..."``, with the LM's credentials redacted) and counted: when ``idx > fail_count`` it is raised,
else ``fail_count`` goes down by one, DSPy's rule as written. The call returns the best prediction,
or ``None`` when no attempt succeeded and none was raised.

A :class:`~dspex_core.errors.CapabilityError` from the module or the advice request (something
native does not do yet) is raised at once instead of being counted, so that the router can serve
the whole loop on another backend.
"""

from __future__ import annotations

import contextvars
from typing import Any

from dspex_core.backend import LM, redact, url_credentials
from dspex_core.errors import CapabilityError, InputError

from dspex_native.lm.defaults import cached_copy, default_settings
from dspex_native.predictor import call
from dspex_native.predictor.trace import copied, enclosing_trace, hinting, tracing
from dspex_native.reward.feedback import advice_inputs, advice_predictor, hint_for
from dspex_native.reward.state import LoopState

_NO_REWARD = -float("inf")
#: The LM a Refine asks for advice: DSPy asks ``dspy.settings.lm``, the LM of the outermost call,
#: also when the Refine is the module of another loop, which gives its predictors an attempt's copy.
#: Set while a loop runs its module (not while it calls the reward function).
_ADVICE_LM: contextvars.ContextVar[Any] = contextvars.ContextVar("dspex_native_advice_lm", default=None)


def _secrets(lm: Any) -> tuple[Any, ...]:
    """What must never be printed: the LM's key and the ``user:password`` of its base URL."""
    if not isinstance(lm, LM):
        return ()
    return lm.secret("api_key"), url_credentials(lm.settings.get("api_base") or lm.settings.get("base_url"))


class Attempts:
    """One call of a reward loop: the inputs, the LM, the best attempt so far and the advice."""

    __slots__ = ("loop", "kwargs", "lm", "advice_lm", "refines", "named", "start", "best", "best_trace",
                 "best_reward", "advice")

    def __init__(self, loop: LoopState, kwargs: dict[str, Any], lm: Any, refines: bool,
                 named: list[tuple[str, Any]] | None):
        self.loop = loop
        self.kwargs = kwargs
        self.lm = lm
        outer = _ADVICE_LM.get()
        self.advice_lm = lm if outer is None else outer
        self.refines = refines
        self.named = named
        start = default_settings(lm).get("rollout_id")
        if start is not None and (not isinstance(start, int) or isinstance(start, bool)):
            raise InputError(f"{loop.module_type}: the LM's rollout_id must be an integer (attempts use rollout_id, "
                             f"rollout_id + 1, ...), got {start!r}")
        self.start = 0 if start is None else start
        self.best: Any = None
        self.best_trace: list | None = None
        self.best_reward: Any = _NO_REWARD
        self.advice: Any = None

    # -- the steps both loops share ----------------------------------------------------------
    def attempt_lm(self, idx: int) -> tuple[Any, Any]:
        rid = self.start + idx
        return rid, cached_copy(self.lm, rollout_id=rid, temperature=1.0)

    def module_state(self) -> Any:
        """The wrapped module's state for one attempt: DSPy runs a deep copy of the module, which
        matters for a wrapped loop only (its ``fail_count`` is spent on the copy)."""
        state = self.loop.wrapped.state
        return state.copy() if type(state) is LoopState else state

    def running_module(self) -> "_RunningModule":
        """Around one run of the module: the hints once a Refine has advice (DSPy's wrapper
        adapter), and this loop's advice LM for a Refine inside it."""
        return _RunningModule(self.advice_lm, hinting(hint_for(self.advice, self.named)) if self.advice else None)

    def keep(self, outputs: Any, trace: list, reward: Any) -> bool:
        """Keep the attempt if it is the best so far; whether it reaches the threshold."""
        if reward > self.best_reward:
            self.best_reward, self.best, self.best_trace = reward, outputs, trace
        return reward >= self.loop.threshold

    def advice_request(self, trace: list, outputs: Any, reward: Any) -> dict[str, str]:
        return advice_inputs(self.loop, self.named, self.kwargs, trace, outputs, reward)

    def failed(self, idx: int, rid: Any, error: Exception) -> None:
        """Print the failure as DSPy does (the caller then raises it or counts it)."""
        text = redact(str(error), *_secrets(self.lm), limit=None)
        if self.refines:
            print(f"Refine: Attempt failed with rollout id {rid}: {text}")
        else:
            print(f"BestOfN: Attempt {idx + 1} failed with rollout id {rid}: {text}")

    def finish(self) -> Any:
        if self.best_trace:
            enclosing = enclosing_trace()
            if enclosing is not None:
                enclosing.extend(copied(self.best_trace))
        return self.best


class _RunningModule:
    __slots__ = ("advice_lm", "hinted", "token")

    def __init__(self, advice_lm: Any, hinted: Any):
        self.advice_lm = advice_lm
        self.hinted = hinted
        self.token: Any = None

    def __enter__(self) -> None:
        self.token = _ADVICE_LM.set(self.advice_lm)
        if self.hinted is not None:
            self.hinted.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self.hinted is not None:
            self.hinted.__exit__(*exc)
        _ADVICE_LM.reset(self.token)


def run(attempts: Attempts) -> Any:
    """The loop, sync."""
    loop, wrapped = attempts.loop, attempts.loop.wrapped
    for idx in range(loop.N):
        rid, lm = attempts.attempt_lm(idx)
        scoring = False
        try:
            with tracing() as observer:
                with attempts.running_module():
                    outputs = wrapped.implementation.execute(attempts.module_state(), dict(attempts.kwargs), lm=lm)
                taken = list(observer.trace)
                scoring = True
                reward = loop.reward_fn(attempts.kwargs, outputs)
            if attempts.keep(outputs, taken, reward):
                break
            scoring = False
            if attempts.refines:
                if idx == loop.N - 1:
                    break
                request = attempts.advice_request(taken, outputs, reward)
                prediction = call.execute(advice_predictor(loop.module_type), request, lm=attempts.advice_lm)
                attempts.advice = prediction.advice
        except Exception as error:
            if isinstance(error, CapabilityError) and not scoring:
                raise
            attempts.failed(idx, rid, error)
            if idx > loop.fail_count:
                raise
            loop.fail_count -= 1
    return attempts.finish()


async def arun(attempts: Attempts) -> Any:
    """The loop, async: the module's ``aexecute`` and the advice request's (the reward function is
    called as it is, as DSPy calls it)."""
    loop, wrapped = attempts.loop, attempts.loop.wrapped
    for idx in range(loop.N):
        rid, lm = attempts.attempt_lm(idx)
        scoring = False
        try:
            with tracing() as observer:
                with attempts.running_module():
                    outputs = await _aexecute(wrapped, attempts.module_state(), dict(attempts.kwargs), lm)
                taken = list(observer.trace)
                scoring = True
                reward = loop.reward_fn(attempts.kwargs, outputs)
            if attempts.keep(outputs, taken, reward):
                break
            scoring = False
            if attempts.refines:
                if idx == loop.N - 1:
                    break
                request = attempts.advice_request(taken, outputs, reward)
                prediction = await call.aexecute(advice_predictor(loop.module_type), request, lm=attempts.advice_lm)
                attempts.advice = prediction.advice
        except Exception as error:
            if isinstance(error, CapabilityError) and not scoring:
                raise
            attempts.failed(idx, rid, error)
            if idx > loop.fail_count:
                raise
            loop.fail_count -= 1
    return attempts.finish()


async def _aexecute(wrapped: Any, state: Any, inputs: dict[str, Any], lm: Any) -> Any:
    if wrapped.has_aexecute:
        return await wrapped.implementation.aexecute(state, inputs, lm=lm)
    import asyncio

    return await asyncio.to_thread(wrapped.implementation.execute, state, inputs, lm=lm)
