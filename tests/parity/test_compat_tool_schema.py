"""dspex-compat writes a plain tool argument type's JSON schema without pydantic: it must be
pydantic's, key for key (DSPy shows the LM ``str(tool)``, which prints these dicts)."""

from typing import Any, Literal, Optional, Union

import pytest
from pydantic import TypeAdapter

from dspex_compat._json_schema import plain_schema

PLAIN = [str, int, float, bool, type(None), list, dict, list[int], list[str], dict[str, int], dict[str, Any],
         Optional[int], Union[int, str], int | None, Literal["a", "b"], Literal["a"], Literal[1, 2], Literal["a", 1],
         Literal[True], list[dict[str, int]], Optional[list[str]], list[Any], dict[str, list[int]]]


@pytest.mark.parametrize("annotation", PLAIN, ids=str)
def test_a_plain_types_schema_is_pydantics_key_for_key(annotation):
    ours, theirs = plain_schema(annotation), TypeAdapter(annotation).json_schema()
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("annotation", [tuple[int, str], set[int], bytes, dict[int, str]], ids=str)
def test_other_types_are_left_to_pydantic(annotation):
    assert plain_schema(annotation) is None
