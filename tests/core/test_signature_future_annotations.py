"""A class-based signature in a module with ``from __future__ import annotations``: every
annotation is a string, and the names in it are the module's (a type alias, a class of its own),
as Python's typing.get_type_hints and DSPy read them."""

from __future__ import annotations

from typing import Literal

import pytest

import dspex_core as dspex
from dspex_core.errors import SignatureError

Label = Literal["spam", "ham"]


class Point:
    """A type of this module, named in an annotation."""


class Classify(dspex.Signature):
    """Label the message."""

    message: str = dspex.InputField()
    label: Label = dspex.OutputField()
    where: Point = dspex.OutputField()
    tags: list[str] = dspex.OutputField()


def test_names_in_string_annotations_are_the_defining_modules():
    fields = Classify.output_fields
    assert fields["label"].annotation == Literal["spam", "ham"]
    assert fields["where"].annotation is Point
    assert fields["tags"].annotation == list[str]
    assert Classify.input_fields["message"].annotation is str


def test_a_name_the_module_does_not_have_is_still_a_signature_error():
    with pytest.raises(SignatureError, match="unknown type 'Nowhere'"):
        class Broken(dspex.Signature):
            """x"""

            text: str = dspex.InputField()
            out: Nowhere = dspex.OutputField()  # noqa: F821 - the point of the test
