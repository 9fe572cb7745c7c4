"""``RetrieverImplementation``: what ``retrieve`` and ``colbert_v2`` share.

A retriever is called with ``query=`` (a string) and optionally ``k=`` (how many passages) and
returns ``Prediction(passages=[...])``. It needs no LM, and its dspy objects are synchronous
(they call a server or a user's function), so the async twin runs it in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

from dspex_core.errors import InputError

from dspex_dspy._base import DspyImplementation


class RetrieverImplementation(DspyImplementation):
    """Base of the retriever module types (see the module docstring)."""

    needs_lm = False

    def query_and_k(self, inputs: Mapping[str, Any]) -> tuple[str, Any]:
        """The call's ``query`` and ``k`` (``None`` when not given), checked."""
        unknown = sorted(set(inputs) - {"query", "k"})
        if unknown:
            raise InputError(f"{self.module_type} takes query= and k=, not {', '.join(map(repr, unknown))}")
        query = inputs.get("query")
        if not isinstance(query, str):
            raise InputError(f"{self.module_type} needs query= (a string), got {query!r}")
        k = inputs.get("k")
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
            raise InputError(f"k must be a positive integer, got {k!r}")
        return query, k

    async def aexecute(self, state: str, inputs: Mapping[str, Any], **options: Any) -> Any:
        return await asyncio.to_thread(self.execute, state, inputs, **options)
