"""The known, documented differences between backends, removed before two runs are compared.

A mask is as narrow as the difference: it rewrites only the text that cannot be equal and keeps
the rest of every request and prediction compared byte for byte. Each case names the masks it
needs (``ModuleCase.masks``), and every report of a property says which were applied, so a
reader knows what was *not* compared. The differences are those listed in
docs/module-types.md:

* :data:`PROGRAM_CODE` (``refine``, ``retry``): the ``program_code`` input of Refine's advice
  request quotes the source of the wrapped module's class, which is each backend's own code
  (DSPy sends its ``dspy.Predict`` source, native its implementation's). Only that one value
  is replaced; ``modules_defn`` and every other input are compared.
* :data:`TOOL_TRACEBACK` (``react``): a tool that raises is shown to the LM as
  ``Execution error in <tool>: <traceback>``; the traceback's frames are each backend's own
  files. The frames are removed and the exception's type and message kept. A union-typed tool
  argument that pydantic cannot convert reads as pydantic's ``ValidationError`` on DSPy and as
  a ``ValueError: Arg x is invalid: Input should be ...`` on native: both become one marker.
  Applied to request text and to the trajectory's ``observation_i`` values.
"""

from __future__ import annotations

import re
from typing import Any, Callable


class Mask:
    """One known difference: its name, why it exists, and the rewrite of a text."""

    __slots__ = ("name", "why", "rewrite", "observations")

    def __init__(self, name: str, why: str, rewrite: Callable[[str], str], observations: bool = False):
        self.name = name
        self.why = why
        self.rewrite = rewrite
        self.observations = observations  # also rewrite a prediction's trajectory observations

    def messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**m, "content": self.rewrite(m["content"])} if isinstance(m.get("content"), str) else m
                for m in messages]

    def fields(self, fields: list[tuple[str, Any]] | None) -> list[tuple[str, Any]] | None:
        if fields is None or not self.observations:
            return fields
        out = []
        for name, value in fields:
            if name == "trajectory" and isinstance(value, dict):
                value = {k: self.rewrite(v) if k.startswith("observation_") and isinstance(v, str) else v
                         for k, v in value.items()}
            out.append((name, value))
        return out

    def __repr__(self) -> str:
        return f"Mask({self.name!r})"


_PROGRAM_CODE = re.compile(r"(\[\[ ## program_code ## \]\]\n).*?(\n\n\[\[ ## modules_defn ## \]\])", re.S)


def _program_code(text: str) -> str:
    return _PROGRAM_CODE.sub(r"\1<program code>\2", text) if "[[ ## program_code ## ]]" in text else text


PROGRAM_CODE = Mask(
    "refine program_code",
    "the value of program_code in Refine's advice request is the source of the wrapped module's class, "
    "each backend's own code (docs/module-types.md, best_of_n / refine)", _program_code)

_CHAINED = re.compile(r"Traceback \(most recent call last\):\n(?:(?!\n\n\[\[ ## ).)*?During handling of the above "
                      r"exception, another exception occurred:\n\n", re.S)
_FRAMES = re.compile(r"Traceback \(most recent call last\):\n(?:  .*\n)+")
_END = r"(?=\n\n\[\[ ## |\n\nRespond with |\Z)"
_PYDANTIC = re.compile(r"pydantic_core\._pydantic_core\.ValidationError: .*?" + _END, re.S)
_NATIVE_CONVERSION = re.compile(r"ValueError: Arg \w+ is invalid: Input should be .*?" + _END, re.S)


def tool_traceback(text: str) -> str:
    """``text`` without traceback frames (a union conversion message as one marker)."""
    if "Traceback (most recent call last)" not in text:
        return text
    text = _FRAMES.sub("", _CHAINED.sub("", text))
    return _NATIVE_CONVERSION.sub("<conversion error>", _PYDANTIC.sub("<conversion error>", text))


TOOL_TRACEBACK = Mask(
    "react tool traceback frames",
    "a failed tool's observation shows a traceback whose frames are each backend's own files; the exception's "
    "type and message are compared (docs/module-types.md, react)", tool_traceback, observations=True)


def apply(outcome: Any, masks: tuple[Mask, ...]) -> Any:
    """A copy of ``outcome`` (an ``Outcome``) with ``masks`` applied to its requests and prediction."""
    if not masks:
        return outcome
    from dspex_core.testing._recording_lm import LMCall

    calls = []
    for call in outcome.calls:
        messages = call.messages
        for mask in masks:
            messages = mask.messages(messages)
        calls.append(LMCall(messages, call.settings))
    copy = outcome.with_calls(calls)
    for mask in masks:
        copy.fields = mask.fields(copy.fields)
        if copy.completions is not None:
            copy.completions = [dict(mask.fields(list(c.items())) or ()) for c in copy.completions]
    return copy


def comparable(case: Any, outcome: Any) -> Any:
    """``outcome`` as the properties compare it: the case's known differences masked, and the
    requests in a canonical order when threads sent them (compared as a multiset)."""
    from dspex_core.testing.conformance._module_case import ModuleCase

    if not isinstance(case, ModuleCase):
        return outcome
    outcome = apply(outcome, tuple(case.masks))
    if case.unordered:
        outcome = outcome.with_calls(sorted(outcome.calls, key=lambda c: repr((c.messages, sorted(c.settings.items())))))
    return outcome
