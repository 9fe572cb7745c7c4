"""``dspex.StreamChunk``: a piece of one output field's text, as a streamed call yields it.

``ref.stream(**inputs)`` yields these while the LM's reply arrives, then the final
:class:`~dspex_core.Prediction`. It is DSPy's ``dspy.streaming.StreamResponse`` in dspex's terms:
``field`` is its ``signature_field_name``, ``text`` its ``chunk``, ``predict_name`` the name of the
predictor that wrote it (``"self"`` for a Predict, ``"predict"`` for a ChainOfThought's, as DSPy's
``named_predictors()`` names them). The chunks of one field, joined, are that field's text as the
final Prediction parses it (before it is converted to the field's type).

A named tuple: immutable, cheap to make (one per piece of text), no import beyond ``typing``.
"""

from __future__ import annotations

from typing import NamedTuple


class StreamChunk(NamedTuple):
    """The next piece of ``field``'s text, written by the predictor ``predict_name``."""

    field: str
    text: str
    predict_name: str = "self"
