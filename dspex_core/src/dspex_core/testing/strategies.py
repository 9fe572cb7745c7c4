"""Hypothesis strategies for dspex: signatures, demos, inputs and LM replies.

Everything here is importable without ``dspy`` (it needs ``hypothesis``:
``pip install dspex-core[testing]``). Typical use in a backend's own tests::

    from hypothesis import given
    from dspex_core.testing import strategies as ds

    @given(ds.signatures().flatmap(lambda sig: ds.inputs(sig).map(lambda x: (sig, x))))
    def test_my_backend_accepts_any_signature(case):
        sig, values = case
        ...

Signatures come as :class:`SignatureSpec` values (``.build()`` gives the string, ``Signature``
or class-based form a user would write; ``.signature()`` the parsed ``Signature``).
Replies are written for a list of fields (:func:`reply_fields` adds ChainOfThought's
``reasoning``). :func:`cases` draws whole conformance cases, as the kit runs them;
:func:`evaluate_cases` draws ``evaluate`` runs (a devset, a table-driven program and metric).
"""

from __future__ import annotations

from dspex_core.testing._strategies_lm import (
    REASONING,
    REPLY_KINDS,
    demos,
    inputs,
    json_replies,
    malformed_replies,
    replies,
    reply_fields,
    well_formed_replies,
)
from dspex_core.testing._strategies_signatures import (
    RESERVED_NAMES,
    FieldSpec,
    SignatureSpec,
    descriptions,
    field_names,
    instructions,
    signatures,
)
from dspex_core.testing._strategies_values import (
    ALPHABET,
    field_types,
    literal_types,
    reply_text,
    text,
    type_source,
    values_for,
)
from dspex_core.testing.conformance._cases import (
    LMCase,
    OutputCase,
    cases,
    lm_cases,
    lm_settings,
    metric_cases,
    signature_module_cases,
    validator_cases,
)
from dspex_core.testing.conformance._evaluate_cases import EvaluateCase, evaluate_cases

__all__ = [
    "ALPHABET", "REASONING", "REPLY_KINDS", "RESERVED_NAMES",
    "FieldSpec", "SignatureSpec", "LMCase", "OutputCase",
    "field_names", "field_types", "literal_types", "descriptions", "instructions", "signatures",
    "text", "values_for", "reply_text", "type_source",
    "inputs", "demos", "replies", "reply_fields", "well_formed_replies", "json_replies", "malformed_replies",
    "lm_settings", "lm_cases", "metric_cases", "signature_module_cases", "validator_cases", "cases",
    "EvaluateCase", "evaluate_cases",
]
