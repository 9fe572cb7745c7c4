"""The native ``colbert_v2`` module type: DSPy's ``ColBERTv2`` client of a ColBERTv2 server.

``create(url=..., port=None, post_requests=False)`` (the URL may also be the spec) checks the
URL (``http(s)://`` with a host) and the port, and builds DSPy's URL (``f"{url}:{port}"``);
``execute(query=..., k=10)`` asks the server (:mod:`dspex_native.retrieval.colbert`: DSPy's GET
or POST request, its 10 s timeout and its per-process cache) and returns
``Prediction(passages=[...])``, the entries' ``long_text`` (the GET form) or ``text`` (the POST
form), as the dspy backend does. A bad ``query``/``k`` (and ``k > 100`` on the GET form, DSPy's
assert) is an :class:`~dspex_core.errors.InputError` before any request; a failing server is an
:class:`~dspex_core.errors.LMError` naming the URL without credentials.

DSPy's ``ColBERTv2`` is not a ``dspy.Module`` and has no state: ``save``, ``dump_state`` and
``load_state`` are a :class:`~dspex_core.errors.CapabilityError`, with the dspy backend's words.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Implementation, Prediction, colbert_rules
from dspex_core.errors import CapabilityError

from dspex_native.retrieval.colbert import ColBERTv2Client, passage_texts
from dspex_native.retrieval.inputs import no_options, query_and_k

#: ``dspy.ColBERTv2.__call__``'s default ``k``.
DEFAULT_K = 10
CREATE_OPTIONS = frozenset({"url", "port", "post_requests"})


class ColBERTv2Implementation(Implementation):
    """``create(url=...)`` then ``execute(state, {"query": ..., "k": ...}) -> Prediction(passages=[...])``."""

    module_type = "colbert_v2"

    def create(self, spec: Any = None, **options: Any) -> ColBERTv2Client:
        no_options(self.module_type, options, CREATE_OPTIONS)
        url = options.get("url")
        if spec is not None and url is None and isinstance(spec, str):
            url = spec
        return ColBERTv2Client(colbert_rules.server_url(url, options.get("port")), bool(options.get("post_requests", False)))

    async def acreate(self, spec: Any = None, **options: Any) -> ColBERTv2Client:
        return self.create(spec, **options)

    def execute(self, state: ColBERTv2Client, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        query, k = self._call(inputs, options)
        return Prediction(passages=passage_texts(state.search(query, k)))

    async def aexecute(self, state: ColBERTv2Client, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        query, k = self._call(inputs, options)
        return Prediction(passages=passage_texts(await state.asearch(query, k)))

    def _call(self, inputs: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, int]:
        if options:
            no_options(f"{self.module_type} (call)", options)
        query, k = query_and_k(self.module_type, inputs)
        return query, DEFAULT_K if k is None else k

    def describe(self, state: ColBERTv2Client) -> dict[str, Any]:
        return {"url": state.public_url, "post_requests": state.post_requests,
                "inputs": ["query"], "outputs": ["passages"]}

    def save(self, state: ColBERTv2Client, path: Any) -> None:
        raise CapabilityError("colbert_v2 has no learned state to save (it is a server URL)")

    def dump_state(self, state: ColBERTv2Client) -> dict[str, Any]:
        raise CapabilityError("colbert_v2 has no learned state to dump")

    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> ColBERTv2Client:
        raise CapabilityError("colbert_v2 has no learned state to load")


implementation = ColBERTv2Implementation()
