"""Typed signatures, native against dspy in one run: parsing distinct typed strings, strings
with pydantic ``custom_types``, class-based signatures with pydantic fields, and a predict call
whose output is a pydantic model.

Run in an environment with dspy and the dspex packages installed (the tox ``parity`` env)::

    tox --workdir /tmp/tox-bench -e parity --notest
    /tmp/tox-bench/parity/bin/python benchmarks/bench_typed_signatures.py --min-time 1

Each signature-making measurement uses a new string (or class) per call, so neither side's cache
answers: what is measured is parsing the fields and their types (and, for dspy, building its
pydantic signature class). Contenders run in alternating batches and keep their best batch
(see bench_native.py), so load on the machine weighs on both alike.

The "outside-style" row is what a user measures from outside: the public constructor
(``dspex.Signature(...)`` against ``dspy.Signature(...)``), every field name new and a type text
never seen before in each signature (a new ``Literal`` label set), so no type cache answers either.
"""

from __future__ import annotations

import argparse
import os
import platform
import warnings
from typing import Optional

warnings.filterwarnings("ignore")

import pydantic  # noqa: E402  (the models are the user's, as in a program that uses them)

from bench_native import FixedLM, paired  # noqa: E402


class Address(pydantic.BaseModel):
    city: str
    zip_code: Optional[str] = None


class Person(pydantic.BaseModel):
    name: str = pydantic.Field(description="full name")
    age: int = pydantic.Field(ge=0)
    home: Address


PERSON_REPLY = ('[[ ## best ## ]]\n{"name": "Ada", "age": 36, "home": {"city": "London"}}\n\n'
                "[[ ## completed ## ]]")


def bench_strings(min_time: float) -> list[tuple[str, float, float]]:
    """(label, native, dspy) seconds per new signature string."""
    import dspy

    import dspex_core as dspex
    from dspex_core import Signature

    counter = iter(range(10**9))
    types = {"Person": Person}

    def typed_native():
        i = next(counter)
        Signature(f"a_{i}: list[str], b: dict[str, int] -> c_{i}: Literal['x','y']")

    def typed_dspy():
        i = next(counter)
        dspy.Signature(f"a_{i}: list[str], b: dict[str, int] -> c_{i}: Literal['x','y']")

    def models_native():
        i = next(counter)
        Signature(f"q_{i}: Person, hint: tuple[int, str] -> best_{i}: Optional[Person], all: list[Person]",
                  custom_types=types)

    def models_dspy():
        i = next(counter)
        dspy.Signature(f"q_{i}: Person, hint: tuple[int, str] -> best_{i}: Optional[Person], all: list[Person]",
                       custom_types=types)

    def outside_native():
        i = next(counter)
        dspex.Signature(f"query_{i}: list[str], weights_{i}: dict[str, float] -> label_{i}: Literal['yes_{i}', 'no_{i}']")

    def outside_dspy():
        i = next(counter)
        dspy.Signature(f"query_{i}: list[str], weights_{i}: dict[str, float] -> label_{i}: Literal['yes_{i}', 'no_{i}']")

    typed = paired([typed_native, typed_dspy], 2 * min_time)
    models = paired([models_native, models_dspy], 2 * min_time)
    outside = paired([outside_native, outside_dspy], 2 * min_time)
    return [("typed string signatures, distinct (list[str], dict[str, int], Literal)", *typed),
            ("pydantic-typed string signatures, distinct (custom_types: Person, Optional, list, tuple)", *models),
            ("outside-style: dspex.Signature(...), every name new and a new Literal label set each time", *outside)]


class _PlainBase:
    """A base with nothing to do: what Python's own class statement costs."""


def _plain_field(**options):
    return options


def bench_classes(min_time: float) -> tuple[float, float, float]:
    """Seconds per new class-based signature with pydantic fields, constraints and a default (dspex,
    dspy), and per class statement with the same body on a plain base (the floor under both)."""
    import dspy

    import dspex_core as dspex

    def make(base, input_field, output_field):
        def define():
            class Extract(base):
                """Find the best person."""

                people: list[Person] = input_field(desc="candidates")
                hint: tuple[int, str] = input_field()
                best: Optional[Person] = output_field()
                score: int = output_field(ge=0, le=10, default=5)
            return Extract
        return define

    return tuple(paired([make(dspex.Signature, dspex.InputField, dspex.OutputField),
                         make(dspy.Signature, dspy.InputField, dspy.OutputField),
                         make(_PlainBase, _plain_field, _plain_field)], 2 * min_time))


def bench_call(min_time: float) -> tuple[float, float]:
    """Seconds per predict call whose output is a pydantic model (parsed and validated by pydantic)."""
    import dspy

    from dspex_core import Signature
    from dspex_dspy.lm import CustomLM
    from dspex_native.modules.predict import implementation as predict

    sig = Signature("question -> best: Person", custom_types={"Person": Person})
    lm = FixedLM(PERSON_REPLY)
    state = predict.create(sig)
    inputs = {"question": "Who wrote the first program?"}
    program = dspy.Predict(dspy.Signature("question -> best: Person", custom_types={"Person": Person}))
    dspy_lm = CustomLM(lm)

    def native():
        predict.execute(state, inputs, lm=lm)

    def reference():
        with dspy.context(lm=dspy_lm):
            program(**inputs)

    return tuple(paired([native, reference], 4 * min_time))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per measurement")
    args = parser.parse_args()
    import dspy

    print(f"Python {platform.python_version()} on {platform.machine()}, dspy {dspy.__version__}, "
          f"pydantic {pydantic.VERSION}, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| measure | native | dspy | dspy / native | target |")
    print("|---|---|---|---|---|")
    for label, native, reference in bench_strings(args.min_time):
        print(f"| {label} | {native * 1e6:.1f} µs | {reference * 1e6:.1f} µs | {reference / native:.0f}x | >= 100x |")
    native, reference, plain = bench_classes(args.min_time)
    print(f"| class-based signature with pydantic fields, constraints, a default (new class) | "
          f"{native * 1e6:.1f} µs | {reference * 1e6:.1f} µs | {reference / native:.0f}x | >= 100x |")
    print(f"| (the same class statement on a plain base: Python's own cost, the floor) | {plain * 1e6:.1f} µs | "
          f"| {reference / plain:.0f}x | |")
    native, reference = bench_call(args.min_time)
    print(f"| Predict question -> best: Person (a pydantic model out), per call | {native * 1e6:.1f} µs | "
          f"{reference * 1e6:.1f} µs | {reference / native:.0f}x | |")
    print(f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
