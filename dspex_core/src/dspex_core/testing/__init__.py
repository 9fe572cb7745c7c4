"""The dspex testing kit: what our suites and third-party backends' suites share.

* :class:`RecordingLM`: a scriptable LM that records every request (no network);
* ``dspex_core.testing.server``: a local OpenAI-compatible HTTP server with fault injection;
* ``dspex_core.testing.strategies``: hypothesis strategies for signatures, demos, inputs and
  LM replies (needs ``hypothesis``: ``pip install dspex-core[testing]``);
* ``dspex_core.testing.conformance``: ``BackendConformance``, the base test class a backend's
  suite subclasses.

Only this module's light names are imported eagerly; the rest load when first used.
"""

from __future__ import annotations

from dspex_core.testing._recording_lm import LMCall, RecordingLM, ScriptExhausted

__all__ = ["LMCall", "RecordingLM", "ScriptExhausted"]
