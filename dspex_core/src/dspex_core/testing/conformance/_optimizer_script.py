"""The LM of an optimizer case: every reply a function of the request alone.

An optimizer sends requests the case cannot list in advance (its program's predictors on every
example, bootstrapping rounds at ``temperature=1.0`` with their ``rollout_id``, COPRO's and
MIPROv2's instruction proposals, evaluations from several threads), in an order that may depend
on threads. So :class:`CompileScript` answers each request by what it asks for: the output fields
listed in its system message (DSPy's format, ``Your output fields are: 1. `name` (type)``), each
given a value of its type chosen by a hash of the salt, the messages and the settings; in JSON
when the request asks for JSON (the JSONAdapter, or DSPy's retry after an unparseable reply).
Every ``broken_every``-th request (by hash), the optimizer's own proposals included, gets a
reply neither adapter can parse. Two backends
that ask the same questions get the same answers, in any order and from any thread, and a
backend that asks something else gets other answers, which the comparison then shows.

Text fields take values from :data:`TEXTS`: the instruction proposals an optimizer has to clean up
(quoted, empty, a trailing prefix) and plain answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from dspex_core.testing._strategies_values import reply_text
from dspex_core.testing.conformance._module_case import hashed_value, is_json_request

#: What a text field is answered with (``{h}``: a number from the request's hash).
TEXTS = ("Answer with care.", '"Answer with care."', "Think, then answer {h}.", "", "Result:", ' "Final:" ',
         "value {h}", "x y", "ünï {h}")
#: The reply no adapter can parse.
UNPARSEABLE = "I cannot answer in that format."

_OUTPUTS = re.compile(r"^\d+\. `([^`]+)`", re.M)


def digest(*parts: Any) -> int:
    """A stable number for ``parts`` (the same in every process and on every backend)."""
    data = json.dumps(parts, sort_keys=True, default=repr, ensure_ascii=False).encode()
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def output_names(system: str) -> list[str]:
    """The output fields a DSPy-format system message asks for, in order."""
    if "Your output fields are:\n" not in system:
        return []
    section = system.split("Your output fields are:\n", 1)[1].split("\nAll interactions will be structured", 1)[0]
    return _OUTPUTS.findall(section)


class CompileScript:
    """Replies from the request alone (see the module docstring).

    ``annotations`` gives the types of the program's output fields by name; any other field an
    optimizer asks for (an instruction proposal) is text."""

    def __init__(self, salt: int, broken_every: int, annotations: dict[str, Any]):
        self.salt = salt
        self.broken_every = broken_every
        self.annotations = annotations

    def __call__(self, messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
        h = digest(self.salt, messages, settings)
        names = output_names(str(messages[0].get("content", "")))
        if self.broken_every and h % self.broken_every == 0:
            return UNPARSEABLE
        values = {}
        for index, name in enumerate(names):
            annotation = self.annotations.get(name, str)
            key = (h >> (index * 4)) + index
            values[name] = TEXTS[key % len(TEXTS)].format(h=key % 7) if annotation is str else \
                hashed_value(annotation, key)
        if is_json_request(messages):
            return json.dumps(values, ensure_ascii=False)
        body = "\n\n".join(f"[[ ## {name} ## ]]\n{reply_text(self.annotations.get(name, str), value)}"
                           for name, value in values.items())
        return (body + "\n\n" if body else "") + "[[ ## completed ## ]]"

    def __repr__(self) -> str:
        return f"CompileScript(salt={self.salt}, broken_every={self.broken_every})"
