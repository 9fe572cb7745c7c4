"""Reading reply text as json_repair does: bare words inside an unquoted list.

json_repair reads ``true``/``false``/``null``/``none`` in any letter case as literals inside a
bare list (json_repair 0.64's answers, recorded here: no dspy in this environment), so DSPy
sees ``[NULL]`` as ``[None]`` and a ``list[str]`` field fails to parse; native must agree.
"""

import pytest

from dspex_native.adapters._lenient_json import loads_lenient


@pytest.mark.parametrize("text, expected", [
    ("[NULL]", [None]), ("[Null]", [None]), ("[NONE]", [None]), ("[TRUE]", [True]), ("[FALSE]", [False]),
    ("[a, NULL]", ["a", None]), ("[ TRUE , x]", [True, "x"]), ("[1, NULL]", [1, None]), ("[nullx]", ["nullx"]),
])
def test_bare_words_in_a_bare_list_are_literals_in_any_case(text, expected):
    assert loads_lenient(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("[¼]", []), ("[²]", []), ("[a,¼,b]", ["a", "b"]), ("[¼ab]", ["ab"]), ("[!a]", ["a"]), ("[_a]", ["a"]),
    ("[x, ¼2]", ["x", 2]), ("[é]", ["é"]), ("[ a¼b ]", ["a¼b"]), ("[1x]", ["1x"]), ("[.5]", [0.5]),
])
def test_bare_list_items_start_where_json_repair_starts_reading(text, expected):
    # What json_repair.loads gives for each (dspy reads typed fields with it): characters that
    # start neither a string nor a number are skipped, and an item of only those is no item.
    assert loads_lenient(text) == expected


@pytest.mark.parametrize("text", ["{:}", "{ : }", "{::}", "{\n:\t}", "{\xa0:}", "x {:} y"])
def test_an_object_of_only_colons_is_empty(text):
    # json_repair finds no key before each colon and skips it: {} (so DSPy's JSON adapter, finding
    # "{:}" in a reply, reads an object with no fields and fills the Optional ones with None).
    assert loads_lenient(text) == {}
