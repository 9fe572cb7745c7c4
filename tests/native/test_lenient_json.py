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
