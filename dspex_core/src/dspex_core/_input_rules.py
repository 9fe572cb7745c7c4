"""The rule for a call's input fields: one rule, applied alike by every backend and module type.

What DSPy 3.4 does (``Predict._forward_preprocess``): a call with names its signature does not
have logs "Input contains fields not in signature. These fields will be ignored" and goes on;
a call without some input logs "Not all input fields were provided to module" and *also goes
on*, sending a prompt that lacks the field (``ProgramOfThought`` fails later with a bare
``KeyError``). So ``p(questio="hi")`` reaches the LM with no question at all. dspex keeps
DSPy's first half and makes the second an error:

* **missing**: an input field the call does not give is an :class:`~dspex_core.errors.InputError`
  naming it and every input the module takes. Where the module type allows it (``predict``,
  ``chain_of_thought``, ``signature``: modules that send one prompt, as DSPy does), an input
  whose type admits ``None`` (``Optional[str]``, ``str | None``) may be left out; it is left
  out of the prompt, as DSPy leaves it. Agents and the modules around a module need them all.
* **misspelt**: a name the signature does not have that is close to an input the call did not
  give (``questio`` for ``question``, ``Context`` for ``context``) is an ``InputError`` with
  "did you mean ...?", even when the input it resembles may be left out.
* **extra**: any other name the signature does not have is ignored, with an
  :class:`~dspex_core.errors.InputWarning` naming it and the inputs (DSPy's warning, as a Python
  warning, so ``-W error::dspex_core.InputWarning`` makes it an error). It is not passed on.

Backends test the common case first, the call's names against a frozenset of the expected
ones (``inputs.keys() == names``), and call :func:`check_inputs` only when they differ, so a
well-formed call pays one set comparison.
"""

from __future__ import annotations

import difflib
import sys
import warnings
from typing import Any, Collection, Mapping

from dspex_core._types import allows_none
from dspex_core.errors import InputError, InputWarning

#: How alike a name must be to an expected input to count as its misspelling (difflib's ratio,
#: on lower-cased names): ``questio``/``question`` is 0.93, ``contxt``/``context`` 0.92,
#: ``query``/``question`` 0.46.
CLOSE_MATCH = 0.75


def required_inputs(fields: Mapping[str, Any]) -> frozenset[str]:
    """The inputs of ``fields`` (name -> field with an ``annotation``) a call must give: those whose
    type does not admit ``None`` (DSPy's ``annotation_allows_none``)."""
    return frozenset(name for name, field in fields.items() if not allows_none(field.annotation))


def did_you_mean(name: Any, candidates: Collection[str]) -> str | None:
    """The one of ``candidates`` that ``name`` most likely misspells, or ``None``."""
    text = str(name)
    lowered = {candidate.lower(): candidate for candidate in candidates}
    found = difflib.get_close_matches(text.lower(), list(lowered), n=1, cutoff=CLOSE_MATCH)
    return lowered[found[0]] if found else None


def inputs_listing(expected: Collection[str], required: Collection[str] | None = None) -> str:
    """``"context (optional), question"``: the inputs a module takes, sorted, the optional ones marked."""
    return ", ".join(name if required is None or name in required else f"{name} (optional)"
                     for name in sorted(expected)) or "(none)"


def names_error(module_type: str, expected: Collection[str], given: Collection[Any], *,
                required: Collection[str] | None = None, accepted: Collection[str] = ()) -> InputError:
    """The :class:`InputError` for a call whose names break the rule (missing or misspelt ones
    named, with the inputs the module takes); :func:`check_inputs` raises it."""
    missing = sorted(name for name in expected if name not in given and (required is None or name in required))
    absent = [name for name in expected if name not in given]
    unknown = sorted((name for name in given if name not in expected and name not in accepted), key=str)
    parts = []
    if missing:
        parts.append(f"missing input field(s) {', '.join(map(repr, missing))}")
    if unknown:
        hints = {name: did_you_mean(name, absent) for name in unknown}
        named = [f"{name!r} (did you mean {hints[name]!r}?)" if hints[name] else repr(name) for name in unknown]
        parts.append(f"unknown input field(s) {', '.join(named)}")
    return InputError(f"{module_type}: {'; '.join(parts)}; the inputs are {inputs_listing(expected, required)}")


def check_inputs(module_type: str, expected: Collection[str], given: Mapping[Any, Any], *,
                 required: Collection[str] | None = None, accepted: Collection[str] = ()) -> Mapping[Any, Any]:
    """``given`` checked against the rule (see the module docstring): raises :class:`InputError` for a
    missing or misspelt input, warns about the names it ignores and returns ``given`` without them.

    ``expected``: the module's input names; ``required``: those a call must give (``None``: all);
    ``accepted``: names the module takes besides its inputs (native ``predict``'s ``prediction``).
    Callers test ``given.keys() == expected`` first and call this only when it fails.
    """
    unknown = [name for name in given if name not in expected and name not in accepted]
    missing = any(name not in given for name in (expected if required is None else required))
    if not unknown and not missing:
        return given
    absent = [name for name in expected if name not in given]
    if missing or any(did_you_mean(name, absent) for name in unknown):
        raise names_error(module_type, expected, given, required=required, accepted=accepted)
    warnings.warn(InputWarning(f"{module_type}: input field(s) {', '.join(map(repr, unknown))} not in the signature "
                               f"are ignored; the inputs are {inputs_listing(expected, required)}"),
                  stacklevel=_caller_level())
    return {name: value for name, value in given.items() if name not in unknown}


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside dspex's packages (and
    dspy's), so that ``warnings`` shows the user's line and dedupes per call site."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(("dspex_", "dspy", "asyncio", "concurrent", "threading", "contextvars")):
            return level
        frame = frame.f_back
        level += 1
    return 1
