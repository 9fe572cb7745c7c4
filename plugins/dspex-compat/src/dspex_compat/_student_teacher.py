"""How DSPy's weight-oriented optimizers take a student and its teachers (``prepare_student``,
``prepare_teacher``): the student must not be compiled yet, and a teacher must have the student's
structure (the same predictors by name) without sharing a predictor object with it."""

from __future__ import annotations

from typing import Any

__all__ = ["prepare_student", "prepare_teacher", "assert_structural_equivalency", "assert_no_shared_predictor"]


def prepare_student(student: Any) -> Any:
    """The student itself, refused when it was compiled already."""
    if getattr(student, "_compiled", False):
        raise ValueError("The student program should not be compiled.")
    return student


def prepare_teacher(student: Any, teacher: Any = None) -> Any:
    """The teacher (the student when there is none), checked against the student's structure."""
    if teacher is None:
        return student
    assert_structural_equivalency(student, teacher)
    assert_no_shared_predictor(student, teacher)
    return teacher


def assert_structural_equivalency(program1: Any, program2: Any) -> None:
    """Both are modules with the same predictors, name for name (DSPy's assertions and messages)."""
    from dspex_compat._module import Module
    from dspex_compat._predict import Predict

    assert isinstance(program1, Module)
    assert isinstance(program2, Module)
    num1, num2 = len(program1.predictors()), len(program2.predictors())
    assert num1 == num2, (
        "Structurally equivalent programs must have the same number of predictors. The number of predictors "
        f"for the two modules do not match: {num1} != {num2}")
    pairs = zip(program1.named_predictors(), program2.named_predictors(), strict=False)
    for index, ((name1, predictor1), (name2, predictor2)) in enumerate(pairs):
        assert name1 == name2, (
            "Program predictor names must match at  corresponding indices for structural equivalency. The "
            f"predictor names for the programs do not match at index {index}: '{name1}' != '{name2}'")
        assert isinstance(predictor1, Predict)
        assert isinstance(predictor2, Predict)


def assert_no_shared_predictor(program1: Any, program2: Any) -> None:
    """The two programs share no predictor object."""
    names1 = {id(p): n for n, p in program1.named_predictors()}
    names2 = {id(p): n for n, p in program2.named_predictors()}
    shared = set(names1) & set(names2)
    assert not shared, ("The programs share the following predictor(s) with each other: "
                        + ", ".join(names1[i] for i in shared))
