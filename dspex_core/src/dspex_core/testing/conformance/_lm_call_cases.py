"""``lm`` cases: a direct LM call, DSPy's ``lm(prompt)`` / ``lm(messages=[...], **settings)``.

The module type has no spec (its row in the module-type table says ``none``): a case is the
call's inputs, ``messages`` (system, user and assistant turns of unicode text, now and then a
``name`` or a content given as a list of text parts) or a ``prompt``; LM settings
(``temperature``, ``max_tokens``, ``n``, ``stop``, ...) as ``config`` at ``create``, on the
call, or split between them (the call's win, key by key); the LM given at ``create``, on the
call (``lm=``) or configured (``dspex_core.context(lm=...)``); and the scripted completions,
``n`` of them for the one request a call makes.

With ``"malformed"`` among the reply kinds (the ``messages`` and ``failures`` properties) a case
is now and then a mistake both backends must refuse with the same error class before any
request (:data:`MISTAKES`: neither ``prompt`` nor ``messages``, both, an unknown input, an
unknown option, a bad setting, bad messages, no LM anywhere), or an LM that fails
(:data:`LM_FAILURES`: an ``LMError``, a ``ContextWindowExceededError``).

What the four LM properties compare then: the one request's messages (as given, or the
prompt as one user message) and settings (every key, none added), the ``outputs`` (the
completions as ``dspy.LM.__call__`` returns them), and the error class after as many requests.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

from hypothesis import strategies as st

from dspex_core.testing._strategies_lm import BOUNDARY_TEMPERATURES
from dspex_core.testing._strategies_values import text
from dspex_core.testing.conformance._module_case import ModuleCase

#: Where the case's LM comes from: ``create(lm=)``, the call's ``lm=``, ``dspex_core.context(lm=)``.
LM_PLACES = ("create", "create", "call", "configured")
#: Settings a user passes as ``config``, each drawn now and then; every key reaches the LM as given.
SETTINGS: dict[str, st.SearchStrategy[Any]] = {
    "temperature": st.sampled_from((0.0, *BOUNDARY_TEMPERATURES, 0.7, 1, 1.5)),
    "max_tokens": st.integers(1, 4000),
    "n": st.integers(1, 3),
    "stop": st.sampled_from(("\n\n", ["###"], ["a", "b"])),
    "top_p": st.sampled_from((0.1, 0.9, 1)),
    "seed": st.integers(0, 99),
    "presence_penalty": st.sampled_from((0.0, 0.5)),
    "rollout_id": st.integers(0, 9),
}
#: Mistakes both backends must refuse before any request, with the same error class.
MISTAKES = ("neither", "both", "unknown_input", "unknown_option", "bad_setting", "bad_messages", "no_lm")
#: LM failures both must pass on as the same error class.
LM_FAILURES = ("lm_error", "context_window")
#: How often a mistake or an LM failure is drawn, when the kinds allow them.
_FAULTS = ("none",) * 14 + MISTAKES + LM_FAILURES
#: dspy 3.4 warns on every ``lm(messages=...)`` that message dicts are deprecated there; the
#: module type takes them (its API, DSPy's 3.4 call), so the runs do not repeat the warning.
_MESSAGES_WARNING = "Passing OpenAI-style message"

_RUN: contextvars.ContextVar["contextlib.ExitStack | None"] = contextvars.ContextVar("dspex_kit_lm_call_run",
                                                                                     default=None)


class LMCallCase(ModuleCase):
    """One ``lm`` call: inputs, ``config`` at create and per call, where the LM is given, the
    completions the LM returns (or how it fails)."""

    #: ``ref.render`` shows the one request a call sends (the contract's ``module_ref`` check)
    rendered = True

    def __init__(self, inputs: dict[str, Any], create_options: dict[str, Any], call_options: dict[str, Any], *,
                 given: str, replies: list[str], failure: str = "none"):
        super().__init__("lm", inputs, create_options, call_options)
        self.given = given
        self.replies = replies
        self.failure = failure

    def spec(self) -> None:
        return None

    def script(self) -> Any:
        if self.failure == "none":
            return list(self.replies)
        failure = self.failure

        def fail(messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
            from dspex_core.errors import ContextWindowExceededError, LMError

            if failure == "context_window":
                raise ContextWindowExceededError("the prompt does not fit", model="recording-lm", status=400)
            raise LMError("the provider failed", model="recording-lm", status=500)

        return fail

    def pure_script(self) -> Any:
        """A completion that is a function of the request alone (for the thread-safety check)."""
        def reply(messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
            import json
            import zlib

            return f"reply {zlib.crc32(json.dumps(messages, sort_keys=True).encode())}"

        return reply

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """Quiet runs (the base class's), dspy's deprecation of message dicts muted, and a place for
        a configured LM to live as long as the run (:meth:`make` puts it there)."""
        import warnings

        with contextlib.ExitStack() as stack, super().context(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", _MESSAGES_WARNING, DeprecationWarning)
            token = _RUN.set(stack)
            stack.callback(_RUN.reset, token)
            yield

    def make(self, backend: str, lm: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """The LM goes where the case says; ``lm=None`` (the no-LM check) or ``given="none"`` puts it nowhere."""
        create_options, call_options = dict(self.create_options), dict(self.call_options)
        if lm is None or self.given == "none":
            return None, create_options, call_options
        if self.given == "create":
            create_options["lm"] = lm
        elif self.given == "call":
            call_options["lm"] = lm
        else:
            stack = _RUN.get()
            assert stack is not None, "an lm case with a configured LM runs inside its context()"
            import dspex_core

            stack.enter_context(dspex_core.context(lm=lm))
        return None, create_options, call_options

    def _repr_lines(self) -> list[str]:
        lines = [f"lm given at {self.given!r},"]
        if self.failure != "none":
            lines.append(f"the LM fails: {self.failure!r},")
        else:
            lines.append(f"replies={self.replies!r},")
        return lines


_CONTENT = text(max_size=30)


@st.composite
def _message(draw: Any, role: str) -> dict[str, Any]:
    """One turn: text, now and then as a list of text parts; a ``name`` now and then."""
    message: dict[str, Any] = {"role": role}
    if role != "system" and draw(st.integers(0, 5)) == 0:
        message["content"] = [{"type": "text", "text": draw(_CONTENT)}
                              for _ in range(draw(st.integers(1, 2)))]
    else:
        message["content"] = draw(_CONTENT)
    if role == "user" and draw(st.integers(0, 7)) == 0:
        message["name"] = draw(st.sampled_from(("ann", "bob_2")))
    return message


@st.composite
def messages(draw: Any) -> list[dict[str, Any]]:
    """A conversation: an optional system turn, then user and assistant turns, the user's first."""
    out = [draw(_message("system"))] if draw(st.booleans()) else []
    roles = ["user", *draw(st.lists(st.sampled_from(("user", "assistant", "assistant")), max_size=3))]
    return out + [draw(_message(role)) for role in roles]


@st.composite
def settings(draw: Any) -> dict[str, Any]:
    """A few of :data:`SETTINGS` (often none)."""
    keys = draw(st.lists(st.sampled_from(sorted(SETTINGS)), max_size=3, unique=True))
    return {key: draw(SETTINGS[key]) for key in keys}


@st.composite
def _mistake(draw: Any, kind: str, values: dict[str, Any], create_options: dict[str, Any],
             call_options: dict[str, Any]) -> str:
    """Turn a well-formed case into the mistake ``kind`` (in place); the LM's place, maybe changed."""
    if kind == "neither":
        values.clear()
    elif kind == "both":
        values.update(prompt=draw(_CONTENT), messages=draw(messages()))
    elif kind == "unknown_input":
        values[draw(st.sampled_from(("temperature", "n", "model", "lm", "question")))] = 1
    elif kind == "unknown_option":
        where = create_options if draw(st.booleans()) else call_options
        where[draw(st.sampled_from(("adapter", "demos", "temperature", "signature")))] = draw(
            st.sampled_from(("chat", [], 0.5)))
    elif kind == "bad_setting":
        bad = draw(st.sampled_from(({"temperature": "hot"}, {"n": 0}, {"max_tokens": -1}, "a string", ["n"])))
        where = create_options if draw(st.booleans()) else call_options
        where["config"] = bad if not isinstance(bad, dict) else {**(where.get("config") or {}), **bad}
    elif kind == "bad_messages":
        values.clear()
        values.update(draw(st.sampled_from(({"messages": []}, {"messages": "hello"}, {"messages": [{"content": "x"}]},
                                            {"messages": [{"role": "user", "content": "x"}, "and text"]},
                                            {"messages": ({"role": "user", "content": "x"},)},
                                            {"prompt": 3}, {"prompt": None}))))
    elif kind == "no_lm":
        return "none"
    return ""


@st.composite
def lm_call_cases(draw: Any, kinds: tuple[str, ...] = ("well_formed", "malformed")) -> LMCallCase:
    """An :class:`LMCallCase`; with ``"malformed"`` in ``kinds``, now and then a mistake or a
    failing LM. A configured LM is drawn only alongside other kinds: it is seen by the calling
    thread alone, and the contract's thread check (``("well_formed",)``) shares one module
    between threads."""
    values: dict[str, Any] = {"prompt": draw(_CONTENT)} if draw(st.integers(0, 3)) == 0 else {
        "messages": draw(messages())}
    places = LM_PLACES if kinds != ("well_formed",) else tuple(p for p in LM_PLACES if p != "configured")
    given = draw(st.sampled_from(places))
    create_options: dict[str, Any] = {}
    call_options: dict[str, Any] = {}
    drawn = draw(settings())
    where = draw(st.sampled_from(("create", "call", "split")))
    for key, value in drawn.items():
        at_create = where == "create" or (where == "split" and draw(st.booleans()))
        (create_options if at_create else call_options).setdefault("config", {})[key] = value
    if where == "split" and draw(st.booleans()):  # the same key at both: the call's wins
        for key, value in draw(settings()).items():
            create_options.setdefault("config", {})[key] = value
    fault = draw(st.sampled_from(_FAULTS)) if "malformed" in kinds else "none"
    if fault in MISTAKES:
        given = draw(_mistake(fault, values, create_options, call_options)) or given
    n = 1
    for config in (create_options.get("config"), call_options.get("config")):
        if isinstance(config, dict) and isinstance(config.get("n"), int) and config["n"] > 0:
            n = config["n"]  # the call's wins
    replies = [draw(st.one_of(text(max_size=40), st.just(""))) for _ in range(n)]
    return LMCallCase(values, create_options, call_options, given=given, replies=replies,
                      failure=fault if fault in LM_FAILURES else "none")
