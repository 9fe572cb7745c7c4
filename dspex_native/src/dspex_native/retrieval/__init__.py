"""What the native retrievers (``colbert_v2``, ``retrieve``) share.

* :mod:`.inputs`: the checks of a call's ``query=``/``k=`` (before any request is made);
* :mod:`.colbert`: DSPy's ColBERTv2 client (``dspy.dsp.colbertv2``) over httpx: the same GET and
  POST requests, the same reading of the server's ``topk``, DSPy's ``request_cache`` as an
  in-process cache, and the server's failures as :class:`dspex_core.errors.LMError`;
* :mod:`.passages`: what a retriever (``rm``) returns, read as ``dspy.Retrieve`` reads it.

Nothing here imports a module-type file; httpx is imported on the first request.
"""

from __future__ import annotations

from dspex_native.retrieval.colbert import clear_cache

__all__ = ["clear_cache"]
