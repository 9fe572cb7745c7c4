"""``ref.render`` for native module types that run predictors in a loop (ReAct, ProgramOfThought,
MultiChainComparison, the reward loops, the signature step).

Such a module's next request is its first predictor call's, made after the module's own work
(checking inputs, formatting attempts or a trajectory, applying a reward loop's hint). Rather
than repeat that work in a second code path that could drift from the real one, the module runs
as it would, with an :class:`~dspex_native.predictor.trace.Observer` whose ``capture`` renders
the first predictor call (:func:`dspex_native.predictor.call.render`: the same preparation, the
LM's client says what it would send) and stops the run there. Nothing is sent, recorded in a
trace or in the history. The stop is a ``BaseException``, so a loop that catches ``Exception``
from its attempts (the reward loops, as DSPy's do) does not swallow it.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from dspex_core.errors import CapabilityError

from dspex_native.predictor import call
from dspex_native.predictor.state import PredictState
from dspex_native.predictor.trace import OBSERVER, Observer


class _Rendered(BaseException):
    """Raised at a module's first predictor call; carries the request it would send."""

    def __init__(self, request: dict[str, Any]):
        super().__init__("rendered")
        self.request = request


def _capture(state: PredictState, inputs: Mapping[str, Any], options: dict) -> None:
    raise _Rendered(call.render(state, inputs, **options))


def first_request(module_type: str, run: Callable[[], Any]) -> dict[str, Any]:
    """The request ``run()`` (a module's ``execute``) would send first, without sending it."""
    outer = OBSERVER.get()
    token = OBSERVER.set(Observer(None, outer.hint if outer is not None else None, _capture))
    try:
        run()
    except _Rendered as found:
        return found.request
    finally:
        OBSERVER.reset(token)
    raise CapabilityError(f"the native {module_type} module made no LM request to render")
