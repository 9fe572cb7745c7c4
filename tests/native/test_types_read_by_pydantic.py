"""The field types DSPy reads only through pydantic (Enum, datetime, set[...], ...) where pydantic
is not installed (this env has none): refused with a CapabilityError that says so, before anything
is sent; values of such types in other fields still render as DSPy renders them where that needs
no pydantic (an Enum member as its value). Their prompts and parsing are compared with DSPy's in
tests/parity/test_stdlib_types_parity.py."""

from __future__ import annotations

import datetime as dt
import enum
import importlib.util
from typing import Literal, Optional

import pytest

from dspex_core import CapabilityError, InputField, OutputField, Signature
from dspex_core.testing import RecordingLM
from dspex_native.modules.predict import implementation as predict

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pydantic") is not None,
                                reason="what happens without pydantic (the native env has none)")


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Size(int, enum.Enum):
    S = 1


@pytest.mark.parametrize("annotation", [Color, dt.datetime, set[int], dict[int, str], list[Color],
                                        Literal[0.5, 1.5], Literal["a", None], Optional[Literal[Color.RED]]], ids=str)
@pytest.mark.parametrize("kind", ["input", "output"])
def test_a_type_dspy_reads_with_pydantic_needs_pydantic(annotation, kind):
    fields = {"q": InputField(), "a": OutputField()}
    fields["x"] = InputField() if kind == "input" else OutputField()
    sig = type("Sig", (Signature,), {"__annotations__": {"q": str, "a": str, "x": annotation}, **fields})
    with pytest.raises(CapabilityError, match=rf"\({kind} field 'x'\): pydantic is not installed \(pip install "
                                              r"pydantic\), and DSPy reads this type with it"):
        predict.create(sig)


@pytest.mark.parametrize("annotation", [Literal["a", "b"], Literal[1, 2], Literal[True, "maybe"],
                                        Optional[Literal["x"]]], ids=str)
def test_literals_of_plain_strings_ints_and_bools_need_no_pydantic(annotation):
    sig = type("Sig", (Signature,), {"__annotations__": {"q": str, "x": annotation},
                                     "q": InputField(), "x": OutputField()})
    predict.create(sig)


def test_enum_members_in_a_str_field_render_as_their_values():
    lm = RecordingLM(["[[ ## a ## ]]\nok\n\n[[ ## completed ## ]]"])
    predict.execute(predict.create("q, r -> a"), {"q": Color.GREEN, "r": {"size": Size.S, "color": Color.RED}}, lm=lm)
    assert lm.calls[0].messages[-1]["content"].startswith(
        '[[ ## q ## ]]\ngreen\n\n[[ ## r ## ]]\n{"size": 1, "color": "red"}\n\n')
