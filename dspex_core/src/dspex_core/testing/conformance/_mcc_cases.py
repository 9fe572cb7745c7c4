"""``multi_chain_comparison`` cases: a signature, ``M``, the completions to compare, the replies.

The completions are what a user passes (dicts or predictions, with ``reasoning`` or
``rationale`` over one or several lines, the last output's value of its type or as text), and
now and then one mistake the module must refuse before any LM call (one completion too many or
too few, one without reasoning or without the last output, a missing input): both backends must
then fail with the same class after no request. The replies are for the module's one predictor,
whose outputs are ``rationale`` then the signature's.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from dspex_core.testing._strategies_lm import demos, inputs, replies
from dspex_core.testing._strategies_signatures import FieldSpec, SignatureSpec, signatures
from dspex_core.testing._strategies_values import text, values_for
from dspex_core.testing.conformance._module_case import ModuleCase, echo_fields, with_lm

RATIONALE = FieldSpec("rationale", str, True, None)
#: One mistake in the inputs, now and then (refused before any request).
FAULTS = ("none",) * 12 + ("too_many", "too_few", "no_reasoning", "no_answer", "missing_input")
_REASONING = st.one_of(text(max_size=40), st.sampled_from(("  first line\nsecond line", "\n\nafter blank lines")))


def _allowed(sig: SignatureSpec) -> bool:
    return not any(f.name.startswith("reasoning_attempt_") for f in (*sig.inputs, *sig.outputs))


class MultiChainCase(ModuleCase):
    """One ``multi_chain_comparison`` call; the LM's replies in order (``n`` of them per request)."""

    def __init__(self, sig: SignatureSpec, inputs: dict[str, Any], replies: list[str], create_options: dict[str, Any],
                 call_options: dict[str, Any], demos: list[dict[str, Any]]):
        super().__init__("multi_chain_comparison", inputs, create_options, call_options)
        self.sig = sig
        self.replies = replies
        self.demos = demos

    def spec(self) -> Any:
        return self.sig.build()

    def script(self) -> Any:
        return list(self.replies)

    def pure_script(self) -> Any:
        return lambda messages, settings: echo_fields([RATIONALE, *self.sig.outputs], messages)

    def make(self, backend: str, lm: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        options = with_lm(self.create_options, lm)
        if self.demos:
            options["demos"] = [dict(d) for d in self.demos]
        return self.spec(), options, dict(self.call_options)

    def _repr_lines(self) -> list[str]:
        lines = [f"signature={self.sig!r},"]
        if self.demos:
            lines.append(f"demos={self.demos!r},")
        lines.append(f"replies={self.replies!r},")
        return lines


@st.composite
def multi_chain_cases(draw: Any, kinds: tuple[str, ...] = ("well_formed", "json", "malformed")) -> MultiChainCase:
    """A :class:`MultiChainCase` whose replies are of ``kinds`` (see ``_strategies_lm.replies``)."""
    from dspex_core import Prediction

    sig = draw(signatures().filter(_allowed))
    m = draw(st.integers(1, 3))
    fault = draw(st.sampled_from(FAULTS)) if "malformed" in kinds else "none"
    last = sig.outputs[-1]
    count = m + (1 if fault == "too_many" else -1 if fault == "too_few" else 0)
    completions: list[Any] = []
    for index in range(count):
        item: dict[str, Any] = {}
        keys = draw(st.sampled_from((("reasoning",), ("rationale",), ("rationale", "reasoning"))))
        if fault == "no_reasoning" and index == count - 1:
            keys = ()
        for key in keys:
            item[key] = draw(_REASONING)
        if not (fault == "no_answer" and index == 0):
            item[last.name] = draw(st.one_of(values_for(last.annotation), text(max_size=20)))
        completions.append(Prediction(item) if draw(st.booleans()) else item)
    values = draw(inputs(sig))
    if fault == "missing_input":
        values.pop(sig.inputs[0].name)
    values["completions"] = completions
    options: dict[str, Any] = {"M": m}
    if draw(st.booleans()):
        options["temperature"] = draw(st.sampled_from((0.0, 0.3, 1.0)))
    if draw(st.integers(0, 3)) == 0:
        options["adapter"] = "json"
    call_options: dict[str, Any] = {}
    config = draw(st.sampled_from((None, None, {"temperature": 0.2}, {"n": 2}, {"max_tokens": 99})))
    if config is not None:
        call_options["config"] = config
    n = (config or {}).get("n", 1)
    fields = [RATIONALE, *sig.outputs]
    script = [draw(replies(fields, kinds)) for _ in range(2 * n)]
    return MultiChainCase(sig, values, script, options, call_options, draw(demos(sig, max_size=2)))
