"""``parallel`` cases: a wrapped module, ``Parallel``'s options, the examples, the LM's replies.

The wrapped module (``predict`` or ``chain_of_thought`` on a generated signature whose first
input is text) is created on the backend under test inside the case. Each example's first
input starts with a mark, ``q<i>:<kind>``, and the LM answers by that mark, so the order in
which threads reach it does not matter: ``ok`` gets a well-formed reply, ``bad`` never parses
(a chat reply, then DSPy's JSON retry: two requests and a failed example), ``retry`` parses only
when asked again in JSON. Examples come as dicts, ``Example``\\ s with their inputs marked
(sometimes with a label), or unmarked ``Example``\\ s with ``access_examples=False``; the options
are ``num_threads``, ``access_examples``, ``max_errors`` and ``return_failed_examples``.

With more than one thread the requests are compared as a multiset (``ModuleCase.unordered``)
and the results in input order; ``max_errors`` then never stops the run (which requests ran
before a stop depends on the threads), while single-threaded cases do stop, and must stop on
the same examples.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

from dspex_core.testing._strategies_lm import json_replies, malformed_replies, reply_fields, well_formed_replies
from dspex_core.testing._strategies_signatures import FieldSpec, SignatureSpec, signatures
from dspex_core.testing._strategies_values import text
from dspex_core.testing.conformance._module_case import ModuleCase, is_json_request, with_lm

KINDS = ("ok", "ok", "bad", "retry")
_MARK = re.compile(r"\bq(\d+):(ok|bad|retry)\b")


class ParallelScript:
    """Replies by the example's mark: ``replies[i]`` is ``(chat, json, malformed)`` for example ``i``."""

    def __init__(self, replies: list[tuple[str, str, str]]):
        self.replies = replies

    def __call__(self, messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
        found = _MARK.search(messages[-1]["content"])
        if found is None:
            return "no mark in the request"
        index, kind = int(found.group(1)), found.group(2)
        chat, as_json, malformed = self.replies[index]
        if kind == "bad":
            return malformed
        if is_json_request(messages):
            return as_json
        return malformed if kind == "retry" else chat


class ParallelCase(ModuleCase):
    """One ``parallel`` call over a module made in the case."""

    def __init__(self, inner: str, sig: SignatureSpec, examples: list[Any], options: dict[str, Any],
                 replies: list[tuple[str, str, str]]):
        super().__init__("parallel", {"examples": examples}, options)
        self.inner = inner
        self.sig = sig
        self.replies = replies

    @property
    def unordered(self) -> bool:
        return self.create_options.get("num_threads", 8) > 1

    def script(self) -> Any:
        return ParallelScript(self.replies)

    def pure_script(self) -> Any:
        return ParallelScript(self.replies)

    def make(self, backend: str, lm: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        import dspex_core

        module = dspex_core.create(self.inner, self.sig.build(), implementation=backend)
        return module, dict(self.create_options), with_lm(self.call_options, lm)

    def _repr_lines(self) -> list[str]:
        lines = [f"module={self.inner!r} {self.sig!r},", "replies by example (chat, json, malformed)=["]
        lines.extend(f"  {r!r}," for r in self.replies)
        lines.append("],")
        return lines


@st.composite
def parallel_cases(draw: Any, max_examples: int = 8) -> ParallelCase:
    """A :class:`ParallelCase` of up to ``max_examples`` examples."""
    from dspex_core import Example
    from dspex_core.testing._strategies_lm import inputs as input_values

    inner = draw(st.sampled_from(["predict", "chain_of_thought"]))
    sig = draw(signatures())
    first = sig.inputs[0]
    sig = SignatureSpec([FieldSpec(first.name, str, first.type_given, first.desc), *sig.inputs[1:]], sig.outputs,
                        sig.instructions, sig.form)
    fields = reply_fields(sig, inner)
    threads = draw(st.sampled_from([1, 1, 2, 4]))
    access = draw(st.booleans())
    examples: list[Any] = []
    replies = []
    for index in range(draw(st.integers(0, max_examples))):
        values = draw(input_values(sig))
        values[first.name] = f"q{index}:{draw(st.sampled_from(KINDS))} " + draw(text(max_size=15))
        form = draw(st.sampled_from(["dict", "example", "labelled"] if access else ["dict", "example", "unmarked"]))
        if form == "dict":
            examples.append(values)
        elif form == "example":
            examples.append(Example(values).with_inputs(*values))
        elif form == "labelled" and "gold" not in values:
            examples.append(Example(values, gold="label").with_inputs(*values))
        elif form == "unmarked":
            examples.append(Example(values))
        else:
            examples.append(Example(values).with_inputs(*values))
        replies.append((draw(well_formed_replies(fields)), draw(json_replies(fields)), draw(malformed_replies(fields))))
    options: dict[str, Any] = {"num_threads": threads, "access_examples": access,
                               "return_failed_examples": draw(st.booleans())}
    max_errors = draw(st.sampled_from([None, 0, 1, 2, 3, 100] if threads == 1 else [None, 100]))
    if max_errors is not None:
        options["max_errors"] = max_errors
    return ParallelCase(inner, sig, examples, options, replies)

