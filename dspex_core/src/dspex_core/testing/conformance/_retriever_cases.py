"""Retriever cases: ``colbert_v2`` against the kit's ColBERTv2-compatible server, and ``retrieve``
over such a server or over a plain callable ``rm``.

A :class:`RetrieverCase` holds plain data: the server's corpus and how it answers
(:data:`._colbert_server.REPLIES`), the URL's form (plain, with a query string, with
credentials, or not a URL at all), ``post_requests``, and for ``retrieve`` its ``k`` and where
its ``rm`` comes from: a ``colbert_v2`` module made on the backend under test inside the run
(where the router puts it when that backend serves ``retrieve`` alone)
(given at ``create`` or as the call's ``rm=``), a callable returning drawn passages (strings,
dicts with ``text`` or ``long_text``, sometimes one a retriever may not return; given at
``create``, per call, or by ``dspex_core.context(rm=...)``), or none at all. The inputs are a
query (unicode, spaces and the characters a query string gives meaning to) and ``k``, now and
then one a retriever must refuse (0, not an integer, over DSPy's GET limit of 100, an unknown
input, a query that is not text).

Every run gets its own server (:class:`._colbert_server.ColBERTv2Server`), started by the case's
:meth:`RetrieverCase.context`, and its requests are the run's ``source_requests()``; a callable
``rm`` records its calls instead. The property ``retrieval`` compares them, then the passages or
the error class.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

from hypothesis import strategies as st

from dspex_core.testing.conformance._colbert_server import ColBERTv2Server
from dspex_core.testing.conformance._module_case import ModuleCase, made_on

#: What a query is made of: words of the corpus, characters a URL's query string gives meaning to, unicode.
QUERY = st.lists(st.one_of(st.sampled_from([" ", "&", "#", "=", "+", "%", "?", "/", ";", "é", "✓", "\t", "capital",
                                            "Paris", "France", "Rome"]),
                           st.characters(blacklist_categories=("Cs",))), max_size=10).map("".join)
CORPUS = ("Paris is the capital of France", "Berlin is the capital of Germany", "Rome is in Italy",
          "Madrid is in Spain", "Lisbon is the capital of Portugal", "Vienna is in Austria", "ünïcode ✓ passage")
#: URL forms: ``query`` adds a query string, ``credentials`` a user and password (sent as basic auth).
URLS = ("plain", "plain", "query", "credentials")
BAD_URLS = ("ftp://example.org/search", "http://", "not a url")
#: Where ``retrieve`` gets its ``rm``: ``(source, how it is given)``.
RM_SOURCES = (("colbert", "create"), ("colbert", "create"), ("colbert", "call"), ("callable", "create"),
              ("callable", "call"), ("callable", "configured"))
PASSAGE = st.one_of(st.text(max_size=10), st.fixed_dictionaries({"text": st.text(max_size=10)}),
                    st.fixed_dictionaries({"long_text": st.text(max_size=10), "score": st.floats(0, 1)}))
ODD_PASSAGE = st.sampled_from([{"pid": 1}, 42, {"text": 3}, None])

_RUN: contextvars.ContextVar["_Run | None"] = contextvars.ContextVar("dspex_kit_retriever_run", default=None)


class _Run:
    """One run's server (when the case has one) and the calls its callable ``rm`` got."""

    def __init__(self, server: ColBERTv2Server | None):
        self.server = server
        self.calls: list[dict[str, Any]] = []

    def rm(self, passages: list[Any]) -> Any:
        """A callable retriever that records how it is called and returns ``passages``."""
        def rm(query: Any, k: Any = None, **others: Any) -> list[Any]:
            call = {"call": "rm", "query": query, "k": k}
            if others:
                call["others"] = others
            self.calls.append(call)
            return list(passages)

        return rm


class RetrieverCase(ModuleCase):
    """One ``colbert_v2`` or ``retrieve`` call; a server is started for each run."""

    def __init__(self, module_type: str, inputs: dict[str, Any], create_options: dict[str, Any], *,
                 corpus: list[str], reply: str, url: str, post: bool, source: str = "colbert",
                 given: str = "create", passages: list[Any] | None = None):
        super().__init__(module_type, inputs, create_options)
        self.corpus = corpus
        self.reply = reply
        self.url = url
        self.post = post
        self.source = source
        self.given = given
        self.passages = passages or []

    @property
    def uses_server(self) -> bool:
        return self.module_type == "colbert_v2" or self.source == "colbert"

    def spec(self) -> None:
        return None

    def script(self) -> Any:
        return lambda messages, settings: ""  # a retriever calls no LM

    def pure_script(self) -> Any:
        return self.script()

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """A fresh server for the run (and the callable ``rm`` configured, when the case says so)."""
        import dspex_core

        with contextlib.ExitStack() as stack:
            server = stack.enter_context(ColBERTv2Server(self.corpus, self.reply)) if self.uses_server else None
            run = _Run(server)
            token = _RUN.set(run)
            stack.callback(_RUN.reset, token)
            if self.module_type == "retrieve" and self.source == "callable" and self.given == "configured":
                stack.enter_context(dspex_core.context(rm=run.rm(self.passages)))
            yield

    def _server_url(self, run: _Run) -> str:
        if self.url in BAD_URLS:
            return self.url
        assert run.server is not None
        base = run.server.base
        if self.url == "credentials":
            base = base.replace("http://", "http://alice:p%40ss@", 1)
        return base + "/api/search" + ("?index=wiki&x=a+b" if self.url == "query" else "")

    def make(self, backend: str, lm: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        import dspex_core

        run = _RUN.get()
        assert run is not None, "a retriever case runs inside its context()"
        options = dict(self.create_options)
        if self.module_type == "colbert_v2":
            return None, {**options, "url": self._server_url(run), "post_requests": self.post}, {}
        if self.source == "colbert":
            rm: Any = dspex_core.create("colbert_v2", url=self._server_url(run), post_requests=self.post,
                                        implementation=made_on(backend, "colbert_v2"))
        elif self.source == "callable":
            rm = run.rm(self.passages)
        else:
            return None, options, {}
        if self.given == "create":
            return None, {**options, "rm": rm}, {}
        if self.given == "call":
            return None, options, {"rm": rm}
        return None, options, {}  # configured by context()

    def source_requests(self) -> list[dict[str, Any]]:
        """The run's requests to its server, or its callable ``rm``'s calls."""
        run = _RUN.get()
        if run is None:
            return []
        return run.server.requests if run.server is not None else list(run.calls)

    def _repr_lines(self) -> list[str]:
        lines = []
        if self.uses_server:
            lines.append(f"server(reply={self.reply!r}, corpus={self.corpus!r}), url={self.url!r}, "
                         f"post_requests={self.post!r},")
        if self.module_type == "retrieve":
            lines.append(f"rm={self.source!r} given at {self.given!r}"
                         + (f", returning {self.passages!r}," if self.source == "callable" else ","))
        return lines


@st.composite
def _inputs(draw: Any, post: bool, malformed: bool) -> dict[str, Any]:
    values: dict[str, Any] = {"query": draw(QUERY)}
    k = draw(st.one_of(st.none(), st.integers(1, 8)))
    if k is not None:
        values["k"] = k
    fault = draw(st.sampled_from(["none"] * 10 + ["k0", "k_text", "k_bool", "big_k", "extra", "query"])) \
        if malformed else "none"
    if fault == "k0":
        values["k"] = 0
    elif fault == "k_text":
        values["k"] = "2"
    elif fault == "k_bool":
        values["k"] = True
    elif fault == "big_k":
        values["k"] = 150 if post else 101
    elif fault == "extra":
        values["n"] = 1
    elif fault == "query":
        values["query"] = draw(st.sampled_from([None, 5, ["a"]]))
    return values


@st.composite
def retriever_cases(draw: Any, module_type: str, kinds: tuple[str, ...] = ("well_formed", "malformed")
                    ) -> RetrieverCase:
    """A :class:`RetrieverCase` for ``module_type``; with ``"malformed"`` in ``kinds``, servers that
    fail, bad URLs and inputs, odd passages and no ``rm`` now and then."""
    malformed = "malformed" in kinds
    corpus = draw(st.lists(st.sampled_from(CORPUS), min_size=1, max_size=len(CORPUS), unique=True))
    replies = ["ranked"] * 4 + ["long_text", "all"] + (["status_500", "status_404", "error", "no_topk", "no_text",
                                                        "not_json"] if malformed else [])
    reply = draw(st.sampled_from(replies))
    url = draw(st.sampled_from(URLS + (BAD_URLS if malformed else ())))
    if url in BAD_URLS and draw(st.integers(0, 3)):
        url = "plain"  # a bad URL now and then, not a quarter of the cases
    post = draw(st.booleans())
    values = draw(_inputs(post, malformed))
    if module_type == "colbert_v2":
        return RetrieverCase("colbert_v2", values, {}, corpus=corpus, reply=reply, url=url, post=post)
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        options["k"] = draw(st.integers(1, 6)) if not (malformed and draw(st.integers(0, 9)) == 0) else 0
    # a configured rm is seen by the calling thread only: not for the contract's thread check
    source, given = draw(st.sampled_from([s for s in RM_SOURCES if malformed or s[1] != "configured"]))
    if malformed and draw(st.integers(0, 11)) == 0:
        source = "none"
    passages = draw(st.lists(PASSAGE, max_size=6))
    if malformed and passages and draw(st.integers(0, 5)) == 0:
        passages[draw(st.integers(0, len(passages) - 1))] = draw(ODD_PASSAGE)
    return RetrieverCase("retrieve", values, options, corpus=corpus, reply=reply, url=url, post=post,
                         source=source, given=given, passages=passages)
