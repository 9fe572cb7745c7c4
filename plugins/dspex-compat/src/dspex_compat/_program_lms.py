"""The LMs of a program's predictors, as DSPy's optimizers that need them read them.

DSPy keeps these helpers in ``dspy.teleprompt.bootstrap_finetune``: an optimizer that trains or
hosts models (``BetterTogether``, ``BootstrapFinetune``) needs an LM set on every predictor, and
launches each model before using it and kills it after. dspex hosts no model: a ``dspy.LM`` is a
provider's model served over HTTP by dspex's LM client, for which launching and killing mean
nothing (as DSPy's ``launch``/``kill`` do nothing for API providers). An LM object that defines
``launch()``/``kill()`` itself (a user's wrapper around a local server) has them called.
"""

from __future__ import annotations

from typing import Any

__all__ = ["all_predictors_have_lms", "assert_all_predictors_have_lms", "get_unique_lms", "launch_lms",
           "kill_lms"]


def all_predictors_have_lms(program: Any) -> bool:
    """Whether every predictor of the program has an LM set."""
    return all(predictor.lm for predictor in program.predictors())


def assert_all_predictors_have_lms(program: Any, role: str = "program") -> None:
    """Raise ``ValueError`` naming the predictors without an LM (DSPy's words; ``role`` names the program)."""
    missing = [name for name, predictor in program.named_predictors() if not predictor.lm]
    if missing:
        raise ValueError(
            f"The {role} program must have a language model set on every predictor, "
            f"but these have none: {missing}. "
            f"Assign an LM to them; `{role}.set_lm(lm)` sets every predictor and "
            f"overwrites LMs that are already set.")


def get_unique_lms(program: Any) -> list[Any]:
    """The distinct LM objects of the program's predictors (by identity, in predictor order)."""
    unique: dict[int, Any] = {}
    for predictor in program.predictors():
        unique.setdefault(id(predictor.lm), predictor.lm)
    return list(unique.values())


def launch_lms(program: Any) -> None:
    """Launch each distinct LM of the program before it is used (DSPy's name).

    A no-op for the LMs dspex serves (``dspy.LM``, ``DummyLM``: dspex hosts no model, so there is
    nothing to start); an LM that defines its own ``launch()`` has it called, as DSPy does."""
    for lm in get_unique_lms(program):
        launch = getattr(lm, "launch", None)
        if callable(launch):
            launch()


def kill_lms(program: Any) -> None:
    """Stop each distinct LM of the program once an optimizer is done with it (DSPy's name).

    A no-op for the LMs dspex serves (it hosts no model to stop); an LM that defines its own
    ``kill()`` has it called, as DSPy does."""
    for lm in get_unique_lms(program):
        kill = getattr(lm, "kill", None)
        if callable(kill):
            kill()
