"""Hypothesis strategies for what flows through an LM module: inputs, demos and LM replies.

Replies are written for the signature they answer, in DSPy's ChatAdapter format::

    [[ ## answer ## ]]
    Paris

    [[ ## completed ## ]]

Kinds: ``"well_formed"`` (every output field, values of the declared type), ``"json"``
(a JSON object only, which the ChatAdapter cannot parse and its JSONAdapter fallback can),
and ``"malformed"`` (a field missing, a value of the wrong type, or garbage).
"""

from __future__ import annotations

import json
import math
from typing import Any, Sequence

from hypothesis import strategies as st

from dspex_core.testing._strategies_signatures import FieldSpec, SignatureSpec
from dspex_core.testing._strategies_values import reply_text, text, values_for, wrong_reply_text

REPLY_KINDS = ("well_formed", "json", "malformed")

#: DSPy's n>1 rule (``Predict._forward_preprocess``): with ``n > 1`` and a temperature that is
#: unset or ``<= 0.15``, the request goes out at ``temperature=0.7``. The cases draw the
#: boundary itself and the floats either side of it, so that a backend comparing with ``<``,
#: or with another bound, sends another temperature than the reference on some case.
N_RULE_BOUNDARY = 0.15
BOUNDARY_TEMPERATURES = (math.nextafter(N_RULE_BOUNDARY, 0.0), N_RULE_BOUNDARY, math.nextafter(N_RULE_BOUNDARY, 1.0))

#: The field ChainOfThought prepends to the outputs.
REASONING = FieldSpec("reasoning", str, True, None)


def reply_fields(sig: SignatureSpec, module_type: str = "predict") -> list[FieldSpec]:
    """The fields an LM must produce for ``module_type`` (ChainOfThought adds ``reasoning``)."""
    return [REASONING, *sig.outputs] if module_type == "chain_of_thought" else list(sig.outputs)


@st.composite
def inputs(draw: Any, sig: SignatureSpec) -> dict[str, Any]:
    """A value of the declared type for every input field."""
    return {f.name: draw(values_for(f.annotation)) for f in sig.inputs}


@st.composite
def demos(draw: Any, sig: SignatureSpec, *, complete: bool | None = None, max_size: int = 3) -> list[dict[str, Any]]:
    """Few-shot demos: complete ones (every field) and incomplete ones (some fields left out).

    ``complete=True``/``False`` forces one kind; ``None`` mixes them.
    """
    fields = [*sig.inputs, *sig.outputs]
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        full = {f.name: draw(values_for(f.annotation)) for f in fields}
        is_complete = draw(st.booleans()) if complete is None else complete
        if not is_complete:
            keep = draw(st.lists(st.sampled_from([f.name for f in fields]), min_size=1, unique=True))
            full = {k: v for k, v in full.items() if k in keep}
        out.append(full)
    return out


def _chat(pairs: Sequence[tuple[str, str]]) -> str:
    body = "\n\n".join(f"[[ ## {name} ## ]]\n{value}" for name, value in pairs)
    return f"{body}\n\n[[ ## completed ## ]]" if body else "[[ ## completed ## ]]"


@st.composite
def well_formed_replies(draw: Any, fields: Sequence[FieldSpec]) -> str:
    """A ChatAdapter reply with a value of the declared type for every field, in order."""
    return _chat([(f.name, reply_text(f.annotation, draw(values_for(f.annotation)))) for f in fields])


@st.composite
def json_replies(draw: Any, fields: Sequence[FieldSpec]) -> str:
    """A JSON-only reply (``{"field": value, ...}``), optionally wrapped in prose or a code fence."""
    payload = json.dumps({f.name: draw(values_for(f.annotation)) for f in fields}, ensure_ascii=False)
    wrap = draw(st.sampled_from(("{}", "{}", "```json\n{}\n```", "Here you go: {}")))
    return wrap.replace("{}", payload, 1)


@st.composite
def malformed_replies(draw: Any, fields: Sequence[FieldSpec]) -> str:
    """A reply that neither adapter can turn into the output fields."""
    how = draw(st.sampled_from(("missing", "wrong_type", "garbage", "empty", "headers_only")))
    if how == "wrong_type":
        typed = [f for f in fields if wrong_reply_text(f.annotation) is not None]
        if typed:
            bad = draw(st.sampled_from(typed))
            pairs = [(f.name, draw(wrong_reply_text(f.annotation)) if f is bad  # type: ignore[arg-type]
                      else reply_text(f.annotation, draw(values_for(f.annotation)))) for f in fields]
            return _chat(pairs)
        how = "missing"
    if how == "missing":
        dropped = draw(st.sampled_from([f.name for f in fields]))
        return _chat([(f.name, reply_text(f.annotation, draw(values_for(f.annotation))))
                      for f in fields if f.name != dropped])
    if how == "empty":
        return ""
    if how == "headers_only":
        return "[[ ## completed ## ]]"
    return draw(text(min_size=1, max_size=60).filter(lambda s: "[[" not in s and "{" not in s))


def replies(fields: Sequence[FieldSpec], kinds: Sequence[str] = REPLY_KINDS) -> st.SearchStrategy[str]:
    """One reply of one of ``kinds`` for ``fields`` (see :func:`reply_fields`)."""
    makers = {"well_formed": well_formed_replies, "json": json_replies, "malformed": malformed_replies}
    unknown = set(kinds) - set(makers)
    if unknown:
        raise ValueError(f"unknown reply kinds {sorted(unknown)}; known: {', '.join(REPLY_KINDS)}")
    return st.one_of(*(makers[k](fields) for k in kinds))
