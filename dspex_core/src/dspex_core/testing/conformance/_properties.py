"""The parity properties: comparing a backend's :class:`Outcome` with the reference's, one at a time.

Two backends are at parity for a module type when, for the same signature, demos, inputs, LM
settings and LM replies:

1. ``messages``: they send byte-identical messages to the LM, on every call, and as many
   calls (so DSPy's JSON fallback after an unparseable reply is made, and made the same way);
2. ``settings``: they pass the LM the same request settings: every key, none missing or extra,
   equal values of the same type (a documented difference masked and named, see ``_masks``);
3. ``prediction``: they return predictions with equal fields (in order), values and value
   types, and equal completions;
4. ``failures``: they fail with the same error class after the same number of LM calls.

Module types without an LM have one property, ``outputs`` (equal outputs, or the same error
class); ``evaluate`` has ``evaluation`` (the same score and per-example results, or the same
``EvaluationError`` naming the same failed examples). This is the definition of parity in
docs/architecture.md ("Parity").

An optimizer has one property over a whole compile, ``compile``: the same LM requests (the
``messages`` and ``settings`` rules, on the multiset of requests when it evaluates in threads),
then the same outcome (error class), then the same compiled program as ``save()`` writes it
(:mod:`._json_paths`). A retriever has ``retrieval``: the same requests to its source (the HTTP
requests a ColBERTv2 server gets, the calls a callable ``rm`` gets), then the ``outputs`` rule.
One property each, because each case is a whole run that is slow (an optimizer) or cheap and
indivisible (a retriever): the difference still says which part differed first.

Each ``diff_*`` function returns ``None`` when the property holds, else a
:class:`Difference` whose text says where the two first part ways, for example::

    messages: LM call 1, message 0 (system), 'content' differs first at character 31
      backend:   ...'fields are:\\n1. `q` (str): \\nYour outpu'...
      reference: ...'fields are:\\n1. `q` (str): \\nYour outpu'...
"""

from __future__ import annotations

from typing import Any, Callable

from dspex_core.testing.conformance._coverage import (
    EVALUATION_MODULE_TYPES,
    LM_BACKED_MODULE_TYPES,
    OPTIMIZER_MODULE_TYPES,
    OUTPUT_MODULE_TYPES,
    RETRIEVER_MODULE_TYPES,
)
from dspex_core.testing.conformance._json_paths import first_json_difference
from dspex_core.testing.conformance._outcome import Outcome, error_class


#: The properties of LM-backed module types, in the order they are checked.
PROPERTIES = ("messages", "settings", "prediction", "failures")


class Difference:
    """Where a backend and the reference first disagree on one property."""

    __slots__ = ("prop", "summary", "detail")

    def __init__(self, prop: str, summary: str, detail: str = ""):
        self.prop = prop
        self.summary = summary
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.prop}: {self.summary}" + (f"\n{self.detail}" if self.detail else "")

    def __repr__(self) -> str:
        return f"Difference({self.prop!r}, {self.summary!r})"


def text_diff(a: str, b: str, width: int = 30) -> tuple[int, str]:
    """The first differing character of two strings and the two excerpts around it."""
    index = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, index - width)

    def excerpt(s: str) -> str:
        piece = repr(s[start:index + width])
        return ("..." if start else "") + piece + ("..." if index + width < len(s) else "")

    return index, f"  backend:   {excerpt(a)}\n  reference: {excerpt(b)}"


def unified_diff(a: str, b: str) -> str:
    """The whole of two differing texts as a unified diff (reference first, then the backend),
    indented, control characters escaped; the character-level excerpt of :func:`text_diff`
    says where a line differs, this says what else around it does."""
    import difflib

    from dspex_core._escape import escape_controls

    lines = difflib.unified_diff(b.splitlines(), a.splitlines(), fromfile="reference", tofile="backend",
                                 lineterm="", n=3)
    return "\n".join("    " + escape_controls(line) for line in lines)


def _show(value: Any) -> str:
    text = repr(value)
    return (text if len(text) <= 80 else text[:77] + "...") + f" ({type(value).__name__})"


def _show_whole(value: Any) -> str:
    """A value in full (a differing field's whole text, not an excerpt), with its type."""
    return f"{value!r} ({type(value).__name__})"


def same_value(a: Any, b: Any) -> bool:
    """Equal values of the same type, all the way down (``1 == 1.0 == True`` is not enough).

    Predictions and examples inside a value (``parallel``'s results) are compared field by
    field; exceptions inside a value (``parallel``'s ``exceptions``) by the class callers would
    catch, because each backend raises its own instance."""
    if isinstance(a, BaseException) and isinstance(b, BaseException):
        return error_class(a) == error_class(b)
    if type(a) is not type(b):
        return False
    if not isinstance(a, dict) and callable(getattr(a, "items", None)) and callable(getattr(a, "keys", None)):
        return same_value(list(a.items()), list(b.items()))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return b != b
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values are different
        return False


def diff_messages(backend: Outcome, reference: Outcome) -> Difference | None:
    """Property 1: the same messages, byte for byte, on every LM call, and as many calls."""
    for number, (b, r) in enumerate(zip(backend.calls, reference.calls), start=1):
        if len(b.messages) != len(r.messages):
            roles_b = [m.get("role") for m in b.messages]
            roles_r = [m.get("role") for m in r.messages]
            return Difference("messages", f"LM call {number}: {len(b.messages)} messages, reference sent "
                              f"{len(r.messages)}", f"  backend roles:   {roles_b}\n  reference roles: {roles_r}")
        for index, (mb, mr) in enumerate(zip(b.messages, r.messages)):
            if mb == mr:
                continue
            if mb.get("role") != mr.get("role") or set(mb) != set(mr):
                return Difference("messages", f"LM call {number}, message {index}: backend {_show(mb)}",
                                  f"  reference {_show(mr)}")
            for key in mb:
                if mb[key] != mr[key]:
                    if isinstance(mb[key], str) and isinstance(mr[key], str):
                        at, detail = text_diff(mb[key], mr[key])
                        whole = unified_diff(mb[key], mr[key])
                        if whole:
                            detail += f"\n  the whole {key!r} of message {index}, as a unified diff:\n{whole}"
                        return Difference("messages", f"LM call {number}, message {index} ({mb.get('role')}), "
                                          f"{key!r} differs first at character {at}", detail)
                    return Difference("messages", f"LM call {number}, message {index}, {key!r}: backend "
                                      f"{_show(mb[key])}, reference {_show(mr[key])}")
    if len(backend.calls) != len(reference.calls):
        return Difference("messages", f"the backend made {len(backend.calls)} LM calls, the reference "
                          f"{len(reference.calls)}", _errors(backend, reference))
    return None


def diff_settings(backend: Outcome, reference: Outcome) -> Difference | None:
    """Property 2: the same request settings on every LM call both made: every key the backend
    passed to the LM, none left out or added, each value equal and of the same type. Nothing is
    normalised (``n=1`` is not the same request as no ``n``, ``None`` is not an absent key):
    what the LM is given is what a provider is sent. A documented difference is masked before
    this runs (``_masks``), and named in the report."""
    for number, (b, r) in enumerate(zip(backend.calls, reference.calls), start=1):
        sb, sr = b.settings, r.settings
        keys = list(dict.fromkeys([*sb, *sr]))
        changed = [k for k in keys if k not in sb or k not in sr or not same_value(sb[k], sr[k])]
        if changed:
            detail = "\n".join(f"  {k}: backend {_setting(sb, k)}, reference {_setting(sr, k)}" for k in changed)
            return Difference("settings", f"LM call {number}: request settings differ in {', '.join(changed)}",
                              detail)
    return None


def _setting(settings: dict[str, Any], key: str) -> str:
    return f"{settings[key]!r} ({type(settings[key]).__name__})" if key in settings else "(absent)"


def _fields_diff(prop: str, fb: list[tuple[str, Any]] | None, fr: list[tuple[str, Any]] | None,
                 where: str = "") -> Difference | None:
    if fb is None or fr is None:
        if fb is None and fr is None:
            return None
        return Difference(prop, f"{where}the backend returned {'no Prediction' if fb is None else 'a Prediction'}, "
                          f"the reference {'no Prediction' if fr is None else 'a Prediction'}")
    names_b, names_r = [k for k, _ in fb], [k for k, _ in fr]
    if names_b != names_r:
        return Difference(prop, f"{where}fields differ: backend {names_b}, reference {names_r}")
    for (name, vb), (_, vr) in zip(fb, fr):
        if not same_value(vb, vr):
            return Difference(prop, f"{where}field {name!r} differs",
                              f"  backend:   {_show_whole(vb)}\n  reference: {_show_whole(vr)}")
    return None


def _errors(backend: Outcome, reference: Outcome) -> str:
    return (f"  backend:   {backend.describe_error() if not backend.ok else 'succeeded'}\n"
            f"  reference: {reference.describe_error() if not reference.ok else 'succeeded'}")


def diff_prediction(backend: Outcome, reference: Outcome) -> Difference | None:
    """Property 3: equal fields (in order), values and value types, and equal completions."""
    if backend.ok != reference.ok:
        who = "backend" if not backend.ok else "reference"
        return Difference("prediction", f"only the {who} failed", _errors(backend, reference))
    if not backend.ok:
        return None
    found = _fields_diff("prediction", backend.fields, reference.fields)
    if found is not None:
        return found
    cb, cr = backend.completions or [], reference.completions or []
    if len(cb) != len(cr):
        return Difference("prediction", f"{len(cb)} completions, reference {len(cr)}")
    for index, (b, r) in enumerate(zip(cb, cr)):
        found = _fields_diff("prediction", list(b.items()), list(r.items()), f"completion {index}: ")
        if found is not None:
            return found
    return None


def diff_failures(backend: Outcome, reference: Outcome) -> Difference | None:
    """Property 4: the same error class after the same number of LM calls (or both succeed)."""
    if backend.ok != reference.ok or backend.error_class != reference.error_class:
        return Difference("failures", "different outcome" if backend.ok != reference.ok else
                          f"different errors: backend {backend.error_class}, reference {reference.error_class}",
                          _errors(backend, reference))
    if len(backend.calls) != len(reference.calls):
        return Difference("failures", f"the backend made {len(backend.calls)} LM calls, the reference "
                          f"{len(reference.calls)}", _errors(backend, reference))
    return None


def diff_outputs(backend: Outcome, reference: Outcome) -> Difference | None:
    """Modules without an LM: equal outputs (values and types) or the same error class."""
    if backend.ok and reference.ok:
        return _fields_diff("outputs", backend.fields, reference.fields)
    if backend.error_class != reference.error_class:
        return Difference("outputs", "different outcome" if backend.ok != reference.ok else
                          f"different errors: backend {backend.error_class}, reference {reference.error_class}",
                          _errors(backend, reference))
    return None


def _failures(error: BaseException) -> list[tuple[int, str]] | None:
    """An ``EvaluationError``'s failed examples: ``[(devset index, error class), ...]``."""
    found = getattr(error, "errors", None)
    if not isinstance(found, list):
        return None
    return [(index, error_class(exc)) for index, exc in found]


def diff_evaluation(backend: Outcome, reference: Outcome) -> Difference | None:
    """``evaluate``: equal score and per-example results, or the same ``EvaluationError`` (same failing examples)."""
    if backend.ok != reference.ok:
        who = "backend" if not backend.ok else "reference"
        return Difference("evaluation", f"only the {who} failed", _errors(backend, reference))
    if not backend.ok:
        if backend.error_class != reference.error_class:
            return Difference("evaluation", f"different errors: backend {backend.error_class}, reference "
                              f"{reference.error_class}", _errors(backend, reference))
        fb, fr = _failures(backend.error), _failures(reference.error)
        if fb != fr:
            return Difference("evaluation", "the evaluation stopped on other failures (devset index, error)",
                              f"  backend:   {fb!r}\n  reference: {fr!r}")
        return None
    pb, pr = backend.prediction, reference.prediction
    sb, sr = pb.get("score"), pr.get("score")
    if not same_value(sb, sr):
        return Difference("evaluation", "the score differs", f"  backend:   {_show(sb)}\n  reference: {_show(sr)}")
    rb, rr = list(pb.get("results") or []), list(pr.get("results") or [])
    if len(rb) != len(rr):
        return Difference("evaluation", f"{len(rb)} results, reference {len(rr)}")
    for index, (b, r) in enumerate(zip(rb, rr)):
        (eb, predb, scoreb), (er, predr, scorer) = b, r
        if dict(eb.items()) != dict(er.items()):
            return Difference("evaluation", f"result {index}: another example",
                              f"  backend:   {_show(eb)}\n  reference: {_show(er)}")
        if not same_value(scoreb, scorer):
            return Difference("evaluation", f"result {index}: the example's score differs",
                              f"  backend:   {_show(scoreb)}\n  reference: {_show(scorer)}")
        ib, ir = list(predb.items()), list(predr.items())
        if not same_value(ib, ir):
            return Difference("evaluation", f"result {index}: the prediction differs",
                              f"  backend:   {_show(ib)}\n  reference: {_show(ir)}")
    return None


def _within(prop: str, found: Difference) -> Difference:
    return Difference(prop, f"{found.prop}: {found.summary}", found.detail)


def diff_compile(backend: Outcome, reference: Outcome) -> Difference | None:
    """Optimizers: the same LM requests, then the same outcome, then the same saved program."""
    for diff in (diff_messages, diff_settings):
        found = diff(backend, reference)
        if found is not None:
            return _within("compile", found)
    if backend.ok != reference.ok or backend.error_class != reference.error_class:
        what = (f"only the {'backend' if not backend.ok else 'reference'} failed" if backend.ok != reference.ok
                else f"different errors: backend {backend.error_class}, reference {reference.error_class}")
        return Difference("compile", what, _errors(backend, reference))
    if not backend.ok:
        return None
    saved_b, saved_r = backend.prediction.get("program"), reference.prediction.get("program")
    found_json = first_json_difference(saved_b, saved_r)
    if found_json is not None:
        where, vb, vr = found_json
        return Difference("compile", f"the saved programs differ at {where}",
                          f"  backend:   {_show(vb)}\n  reference: {_show(vr)}")
    return None


def _show_request(request: dict[str, Any] | None) -> str:
    return "(none)" if request is None else ", ".join(f"{k}={v!r}" for k, v in request.items())


def diff_retrieval(backend: Outcome, reference: Outcome) -> Difference | None:
    """Retrievers: the same requests to their source, in order, then equal passages or the same error class."""
    rb, rr = backend.requests or [], reference.requests or []
    for number, (b, r) in enumerate(zip(rb, rr), start=1):
        if b != r:
            changed = [k for k in dict.fromkeys([*b, *r]) if b.get(k) != r.get(k)]
            return Difference("retrieval", f"request {number} differs in {', '.join(changed)}",
                              f"  backend:   {_show_request(b)}\n  reference: {_show_request(r)}")
    if len(rb) != len(rr):
        return Difference("retrieval", f"the backend sent {len(rb)} requests, the reference {len(rr)}",
                          f"  first extra: {_show_request((rb if len(rb) > len(rr) else rr)[min(len(rb), len(rr))])}"
                          f"\n{_errors(backend, reference)}")
    found = diff_outputs(backend, reference)
    return _within("retrieval", found) if found is not None else None


DIFFS: dict[str, Callable[[Outcome, Outcome], Difference | None]] = {
    "messages": diff_messages, "settings": diff_settings, "prediction": diff_prediction,
    "failures": diff_failures, "outputs": diff_outputs, "evaluation": diff_evaluation,
    "compile": diff_compile, "retrieval": diff_retrieval,
}


def properties_for(module_type: str) -> tuple[str, ...]:
    """The parity properties the kit checks for ``module_type`` (none: the kit does not cover it)."""
    if module_type in LM_BACKED_MODULE_TYPES:
        return PROPERTIES
    if module_type in OUTPUT_MODULE_TYPES:
        return ("outputs",)
    if module_type in EVALUATION_MODULE_TYPES:
        return ("evaluation",)
    if module_type in OPTIMIZER_MODULE_TYPES:
        return ("compile",)
    if module_type in RETRIEVER_MODULE_TYPES:
        return ("retrieval",)
    return ()


def first_difference(backend: Outcome, reference: Outcome, props: tuple[str, ...]) -> Difference | None:
    """The first property (in ``props`` order) on which the outcomes differ."""
    for prop in props:
        found = DIFFS[prop](backend, reference)
        if found is not None:
            return found
    return None
