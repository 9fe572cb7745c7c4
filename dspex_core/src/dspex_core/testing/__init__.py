"""The dspex testing kit: what our suites and third-party backends' suites share.

* :class:`RecordingLM`: a scriptable LM that records every request (no network);
* ``dspex_core.testing.server``: a local OpenAI-compatible HTTP server with fault injection
  (``dspex_core.testing.fixtures`` has pytest fixtures that start it);
* ``dspex_core.testing.strategies``: hypothesis strategies for signatures, demos, inputs and
  LM replies (needs ``hypothesis``: ``pip install dspex-core[testing]``);
* :class:`BackendConformance` (``dspex_core.testing.conformance``): the base test class a
  backend's suite subclasses to check parity with a reference backend and the contract.

Only the light names are imported eagerly: ``import dspex_core.testing`` needs neither
pytest nor hypothesis, and ``BackendConformance`` loads them when first used.
"""

from __future__ import annotations

from typing import Any

from dspex_core.testing._recording_lm import LMCall, RecordingLM, ScriptExhausted

__all__ = ["LMCall", "RecordingLM", "ScriptExhausted", "BackendConformance"]


def __getattr__(name: str) -> Any:
    if name == "BackendConformance":  # imports pytest and hypothesis: only when a suite asks for it
        from dspex_core.testing.conformance import BackendConformance

        globals()["BackendConformance"] = BackendConformance
        return BackendConformance
    raise AttributeError(f"module 'dspex_core.testing' has no attribute {name!r}")
