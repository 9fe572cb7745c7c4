"""Conformance cases: everything one run of a module needs, drawn by hypothesis.

An :class:`LMCase` (``predict``, ``chain_of_thought``) holds a signature, demos, inputs, LM
settings and the scripted LM replies; an :class:`OutputCase` (``metrics``, ``signature``,
``template``, ``validator``) holds a spec, create options and inputs; an ``EvaluateCase``
(``evaluate``, in :mod:`._evaluate_cases`) a devset, a program and a metric. A case is plain
data, run the same way on the backend and on the reference; all print as readable multi-line
text, because hypothesis shows the minimal failing case with ``repr``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from dspex_core.testing._strategies_lm import (
    BOUNDARY_TEMPERATURES,
    REPLY_KINDS,
    demos,
    inputs,
    replies,
    reply_fields,
)
from dspex_core.testing._strategies_signatures import SignatureSpec, field_names, signatures
from dspex_core.testing._strategies_values import text, values_for
from dspex_core.testing.conformance._coverage import EVALUATION_MODULE_TYPES, KIT_MODULE_TYPES, LM_MODULE_TYPES
from dspex_core.testing.conformance._evaluate_cases import evaluate_cases
from dspex_core.testing.conformance._module_cases import MODULE_CASE_TYPES, module_cases

#: The metrics a ``metrics`` case names (the ``metrics`` module type's contract).
METRIC_NAMES = ("exact_match", "f1", "normalize_text", "answer_exact_match", "answer_passage_match",
                "passage_match")


class LMCase:
    """One call of an LM-backed module, with the replies the shared LM will give."""

    __slots__ = ("module_type", "sig", "demos", "inputs", "script", "create_options", "call_options")

    def __init__(self, module_type: str, sig: SignatureSpec, demos: list[dict[str, Any]], inputs: dict[str, Any],
                 script: list[str], create_options: dict[str, Any] | None = None,
                 call_options: dict[str, Any] | None = None):
        self.module_type = module_type
        self.sig = sig
        self.demos = demos
        self.inputs = inputs
        self.script = script
        self.create_options = create_options or {}
        self.call_options = call_options or {}

    def spec(self) -> Any:
        return self.sig.build()

    def __repr__(self) -> str:
        lines = [f"LMCase({self.module_type!r},", f"  signature={self.sig!r},"]
        if self.demos:
            lines.append(f"  demos={self.demos!r},")
        lines.append(f"  inputs={self.inputs!r},")
        if self.create_options:
            lines.append(f"  create_options={self.create_options!r},")
        if self.call_options:
            lines.append(f"  call_options={self.call_options!r},")
        lines.append("  script=[")
        lines.extend(f"    {reply!r}," for reply in self.script)
        lines.append("  ])")
        return "\n".join(lines)


class OutputCase:
    """One call of a module that needs no LM: a spec, create options and inputs."""

    __slots__ = ("module_type", "raw_spec", "create_options", "inputs")

    def __init__(self, module_type: str, spec: Any, create_options: dict[str, Any] | None, inputs: dict[str, Any]):
        self.module_type = module_type
        self.raw_spec = spec
        self.create_options = create_options or {}
        self.inputs = inputs

    def spec(self) -> Any:
        return self.raw_spec.build() if isinstance(self.raw_spec, SignatureSpec) else self.raw_spec

    def __repr__(self) -> str:
        opts = f", create_options={self.create_options!r}" if self.create_options else ""
        return f"OutputCase({self.module_type!r}, spec={self.raw_spec!r}{opts},\n  inputs={self.inputs!r})"


# -- LM-backed modules ----------------------------------------------------------------------
#: Temperatures drawn otherwise (``1`` is an int on purpose: the value's type is compared too).
TEMPERATURES = (0.0, 0.1, *BOUNDARY_TEMPERATURES, 0.5, 0.7, 1.0, 1, 1.5)
#: Further settings a user passes now and then; every key an LM is given is compared, so each
#: must reach it as the reference passes it (unchanged, not dropped, no key added).
OTHER_SETTINGS: dict[str, Any] = {
    "top_p": st.sampled_from((0.1, 0.9, 1)),
    "stop": st.sampled_from(("\n\n", ["[[ ## completed ## ]]"], ["a", "b"])),
    "seed": st.integers(0, 99),
    "presence_penalty": st.sampled_from((0.0, 0.5)),
    "frequency_penalty": st.sampled_from((0.0, -0.5)),
    "rollout_id": st.integers(0, 9),
    "logprobs": st.booleans(),
}


@st.composite
def lm_settings(draw: Any, n_rule: bool = False) -> dict[str, Any]:
    """Request settings a user passes: ``temperature``, ``max_tokens``, ``n`` (each optional), now
    and then others (:data:`OTHER_SETTINGS`). With ``n_rule``, half the cases sit on DSPy's n>1
    rule: ``n`` of 2 or 3 and a temperature at, just below or just above 0.15 (or none, or 0)."""
    out: dict[str, Any] = {}
    if n_rule and draw(st.booleans()):
        out["n"] = draw(st.integers(2, 3))
        temperature = draw(st.sampled_from((*BOUNDARY_TEMPERATURES, *BOUNDARY_TEMPERATURES, None, 0.0)))
        if temperature is not None:
            out["temperature"] = temperature
    else:
        if draw(st.booleans()):
            out["temperature"] = draw(st.sampled_from(TEMPERATURES))
        if draw(st.integers(0, 3)) == 0:
            out["n"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        out["max_tokens"] = draw(st.integers(1, 4000))
    if draw(st.integers(0, 3)) == 0:
        for key in draw(st.lists(st.sampled_from(sorted(OTHER_SETTINGS)), min_size=1, max_size=2, unique=True)):
            out[key] = draw(OTHER_SETTINGS[key])
    return out


@st.composite
def lm_cases(draw: Any, module_type: str = "predict", *, first: tuple[str, ...] = REPLY_KINDS,
             second: tuple[str, ...] = REPLY_KINDS, settings: bool = True,
             adapters: tuple[str, ...] = ("chat", "chat", "chat", "json"), with_demos: bool = True,
             odd_inputs: bool = False, n_rule: bool = False) -> LMCase:
    """An :class:`LMCase`: replies of kinds ``first`` to the first LM call and ``second`` to a
    second one (the JSON fallback after an unparseable reply, when the module makes it).

    ``adapters`` are drawn from (``"chat"`` is the default and sends no option); with
    ``odd_inputs`` an input is now and then left out or an unknown one added, which DSPy
    tolerates with a warning; ``n_rule`` draws settings on DSPy's n>1 rule half the time
    (:func:`lm_settings`). Each setting goes to ``create`` or to the call's ``config``, so the
    rule sees them merged as DSPy merges them.
    """
    sig = draw(signatures())
    fields = reply_fields(sig, module_type)
    create_options: dict[str, Any] = {}
    call_options: dict[str, Any] = {}
    lm_opts = draw(lm_settings(n_rule=n_rule)) if settings else {}
    if lm_opts:
        where = draw(st.sampled_from(("create", "call", "split")))
        for key, value in lm_opts.items():
            at_create = where == "create" or (where == "split" and draw(st.booleans()))
            if at_create:
                create_options[key] = value
            else:
                call_options.setdefault("config", {})[key] = value
    adapter = draw(st.sampled_from(adapters))
    if adapter != "chat":
        create_options["adapter"] = adapter
    n = int(lm_opts.get("n", 1))
    script = [draw(replies(fields, first)) for _ in range(n)] + [draw(replies(fields, second)) for _ in range(n)]
    values = draw(inputs(sig))
    if odd_inputs:
        odd = draw(st.sampled_from(("none", "none", "none", "missing", "extra")))
        if odd == "missing" and len(values) > 1:
            values.pop(draw(st.sampled_from(sorted(values))))
        elif odd == "extra":
            extra = draw(field_names())
            if extra not in values and all(extra != f.name for f in sig.outputs):
                values[extra] = draw(text(max_size=10))
    return LMCase(module_type, sig, draw(demos(sig)) if with_demos else [], values, script,
                  create_options, call_options)


# -- modules without an LM ------------------------------------------------------------------
_words = text(max_size=30, newlines=False)


@st.composite
def metric_cases(draw: Any, metrics: tuple[str, ...] | None = None) -> OutputCase:
    """A ``metrics`` call with the inputs its contract names (sometimes of the wrong type)."""
    from dspex_core import Example, Prediction

    name = draw(st.sampled_from(metrics or METRIC_NAMES))
    answers = st.one_of(_words, st.lists(_words, min_size=1, max_size=3))
    options: dict[str, Any] = {}
    if name in ("exact_match", "f1"):
        values = {"prediction": draw(_words), "reference": draw(answers)}
    elif name == "normalize_text":
        values = {"text": draw(text())}
    elif name == "passage_match":  # a single string is one passage; no answers match nothing
        values = {"passages": draw(st.one_of(_words, st.lists(_words, max_size=3))),
                  "answers": draw(st.one_of(answers, st.just([])))}
    else:
        example = Example(question=draw(_words), answer=draw(answers))
        pred = Prediction(answer=draw(_words), context=draw(st.lists(_words, max_size=3)))
        values = {"example": example, "pred": pred}
        if name == "answer_exact_match" and draw(st.booleans()):
            options["frac"] = draw(st.sampled_from((0.0, 0.5, 0.9, 1.0)))
    if draw(st.integers(0, 9)) == 0:  # now and then, a wrong input: the error class must match
        key = draw(st.sampled_from(sorted(values)))
        values[key] = draw(st.sampled_from((None, 42, ["a", 3], [3, "a"])))
    return OutputCase("metrics", name, options, values)


def _as_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)


@st.composite
def _values_maybe_as_text(draw: Any, fields: list[Any]) -> dict[str, Any]:
    out = {}
    for f in fields:
        value = draw(values_for(f.annotation))
        out[f.name] = _as_text(value) if draw(st.booleans()) else value
    return out


@st.composite
def signature_module_cases(draw: Any) -> OutputCase:
    """A ``signature`` step: inputs of the declared types, or as text to be coerced, or wrong."""
    sig = draw(signatures())
    values = draw(_values_maybe_as_text(sig.inputs))
    if draw(st.integers(0, 4)) == 0:
        values[draw(field_names())] = "an extra input"
    if draw(st.integers(0, 4)) == 0 and values:
        values.pop(draw(st.sampled_from(sorted(values))))
    return OutputCase("signature", sig, {}, values)


@st.composite
def validator_cases(draw: Any) -> OutputCase:
    """A ``validator`` step: output values, some of the wrong type, all problems at once."""
    sig = draw(signatures())
    fields = draw(st.sampled_from(("outputs", "inputs", "all")))
    checked = {"outputs": sig.outputs, "inputs": sig.inputs, "all": [*sig.inputs, *sig.outputs]}[fields]
    values = draw(_values_maybe_as_text(list(checked)))
    if draw(st.integers(0, 3)) == 0 and values:
        values[draw(st.sampled_from(sorted(values)))] = draw(st.sampled_from(("not a value", None, [1, 2])))
    options = {} if fields == "outputs" else {"fields": fields}
    return OutputCase("validator", sig, options, values)


@st.composite
def template_cases(draw: Any) -> OutputCase:
    """A ``template`` step: literal text with ``{name}`` variables, values of several types."""
    names = draw(st.lists(field_names(), min_size=1, max_size=3, unique=True))
    literal = text(max_size=12, newlines=True).map(lambda s: s.replace("{", "{{").replace("}", "}}"))
    parts = []
    for name in names:
        parts.append(draw(literal))
        parts.append("{" + name + "}")
    parts.append(draw(literal))
    values = {n: draw(st.one_of(text(max_size=15), st.integers(-99, 99), st.booleans())) for n in names}
    if draw(st.integers(0, 5)) == 0:
        values.pop(names[0])
    options = {"output": draw(field_names())} if draw(st.integers(0, 3)) == 0 else {}
    return OutputCase("template", "".join(parts), options, values)


_OUTPUT_STRATEGIES = {"metrics": metric_cases, "signature": signature_module_cases, "template": template_cases,
                      "validator": validator_cases}


def cases(module_type: str, **kwargs: Any) -> st.SearchStrategy[Any]:
    """Conformance cases for ``module_type`` (:class:`LMCase`, :class:`OutputCase`, :class:`EvaluateCase`, or
    a ``ModuleCase`` for the agents and the wrappers)."""
    if module_type in LM_MODULE_TYPES:
        return lm_cases(module_type, **kwargs)
    if module_type in _OUTPUT_STRATEGIES:
        return _OUTPUT_STRATEGIES[module_type](**kwargs)
    if module_type in EVALUATION_MODULE_TYPES:
        return evaluate_cases(**kwargs)
    if module_type in MODULE_CASE_TYPES:
        return module_cases(module_type, **kwargs)
    raise ValueError(f"the conformance kit has no cases for {module_type!r}; it covers {', '.join(KIT_MODULE_TYPES)}")
