"""What the dspy backend's LMs record for ``dspex.inspect_history``: the entry dspy records.

dspy records each call of its LMs (``BaseLM.update_history``) in its own history; the LMs this
backend makes (:class:`~dspex_dspy._redacting_lm.RedactingLM` for a ``dspex.LM``,
:class:`~dspex_dspy.lm.CustomLM` for a custom object) pass the same entry on to dspex's, so
``dspex.inspect_history(n)`` shows the calls of both backends in the order they were made.
dspy's entry already leaves ``api_*`` settings out; the core drops secret settings too.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import record_history


def record(entry: Mapping[str, Any]) -> None:
    """Record dspy's history ``entry`` (messages, outputs, kwargs, model, timestamp) in dspex's."""
    messages = entry.get("messages") or [{"role": "user", "content": entry.get("prompt")}]
    record_history(messages, entry.get("outputs") or [], model=entry.get("model"), settings=entry.get("kwargs"),
                   timestamp=entry.get("timestamp"))
