"""``CustomLM``: a dspex custom-LM object seen by dspy as a ``dspy.BaseLM``.

dspex lets users (and the parity suite) configure any object that implements the core's
language-model protocol: ``obj(messages, **settings) -> list[str]``, optionally
``async obj.acall(...)``. dspy only calls ``dspy.BaseLM`` instances, so this class wraps the
object such that dspy calls *the very same object*, with the very same messages and request
settings dspy would send to a provider. That is what makes native/dspy parity checkable:
both backends talk to one recording LM.

Why ``BaseLM.forward`` and not DSPy 3.4's new ``complete(Request)`` engines: engines receive
an ``lm15.Request`` rebuilt from the messages, so the object would no longer see the exact
message dicts and keyword arguments dspy produced. The legacy ``forward`` interface still
works throughout DSPy 3.4 (it is deprecated for 3.5). dspy warns about it on every call
(``DeprecationWarning``, attributed to the caller), and no warning filter keeps that out of a
user's test run: pytest puts ``always`` for ``DeprecationWarning`` in front of every filter for
each test, so a plugin's suite saw a thousand of them about a class it never wrote. This class
is the backend's own use of the interface, so it does not emit the warning at all: its
``__call__``/``acall`` are ``BaseLM``'s (the same preparation, execution, callbacks and
history) without that one warning. dspy's warning for a user's own ``BaseLM.forward``
subclass, and every other warning, are untouched.

The wrapper adds nothing: its default request settings are empty (so ``dspy.Predict`` sees
no default temperature or max_tokens) and it never caches. A
:class:`~dspex_core.errors.ContextWindowExceededError` the object raises reaches dspy as dspy's
own, which is what dspy's modules catch.
"""

from __future__ import annotations

import asyncio
from typing import Any

import dspy
from dspex_core.errors import ContextWindowExceededError

from dspy.clients._deprecation import warn_openai_messages
from dspy.clients.execution import aexecute, execute, finalize, prepare
from dspy.utils.callback import with_callbacks


def _response(model: str, outputs: list[str]) -> dict[str, Any]:
    """An OpenAI chat-completion shaped dict: what dspy's legacy path reads."""
    return {
        "id": "dspex-custom",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
            for i, text in enumerate(outputs)
        ],
        "usage": {},
    }


def _dspy_context_window_error(exc: ContextWindowExceededError, model: str) -> Exception:
    """dspy's own ``ContextWindowExceededError`` for a dspex one the object raised: the error dspy's
    modules (ReAct's trajectory truncation) catch, so that both backends shorten the same way."""
    from dspy.utils.exceptions import ContextWindowExceededError as DspyContextWindowExceededError

    return DspyContextWindowExceededError(model=exc.model or model, message=str(exc), status=exc.status)


def _check_outputs(obj: Any, outputs: Any) -> list[str]:
    if isinstance(outputs, str):
        return [outputs]
    if isinstance(outputs, (list, tuple)) and not outputs:
        return [""]  # no completion: one empty one, as dspy's engine reads a server's empty "choices"
    if not isinstance(outputs, (list, tuple)):
        from dspex_core.errors import LMError

        raise LMError(f"custom LM {type(obj).__name__} returned {type(outputs).__name__}; "
                      f"the LM protocol returns a list of strings (one per completion)",
                      model=getattr(obj, "model", "dspex/custom"))
    return list(outputs)


class CustomLM(dspy.BaseLM):
    """Let dspy call a dspex custom-LM object.

    ``model`` is the object's ``model`` attribute (``"dspex/custom"`` when it has none).
    ``kwargs`` starts empty. Request settings dspy passes per call (``temperature``, ``n``,
    ...) reach the object unchanged, merged over the wrapper's own ``kwargs``, which are
    empty unless dspy made a copy with settings (as ``Refine``/``BestOfN`` do with
    ``lm.copy(rollout_id=..., temperature=1.0)``), mirroring what ``dspy.LM`` would send.
    """

    def __init__(self, obj: Any):
        super().__init__(model=getattr(obj, "model", None) or "dspex/custom", model_type="chat",
                         temperature=None, max_tokens=None, cache=False, num_retries=0)
        self.kwargs: dict[str, Any] = {}
        self.obj = obj

    @with_callbacks
    def __call__(self, prompt: Any = None, *, messages: Any = None, **kwargs: Any) -> Any:
        """``BaseLM.__call__`` without its legacy-interface warning (see the module docstring)."""
        call = prepare(self, prompt, messages, kwargs)
        warn_openai_messages(self, messages)
        return finalize(self, call, execute(self, call))

    @with_callbacks
    async def acall(self, prompt: Any = None, *, messages: Any = None, **kwargs: Any) -> Any:
        """``BaseLM.acall`` without its legacy-interface warning (see the module docstring)."""
        call = await asyncio.to_thread(prepare, self, prompt, messages, kwargs, asynchronous=True)
        warn_openai_messages(self, messages)
        return finalize(self, call, await aexecute(self, call))

    def _settings(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**self.kwargs, **kwargs} if self.kwargs else kwargs

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> dict[str, Any]:
        if messages is None:
            messages = [{"role": "user", "content": prompt}]
        try:
            outputs = self.obj(messages, **self._settings(kwargs))
        except ContextWindowExceededError as exc:
            raise _dspy_context_window_error(exc, self.model) from exc
        return _response(self.model, _check_outputs(self.obj, outputs))

    async def aforward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> dict[str, Any]:
        if messages is None:
            messages = [{"role": "user", "content": prompt}]
        settings = self._settings(kwargs)
        acall = getattr(self.obj, "acall", None)
        try:
            if acall is not None:
                outputs = await acall(messages, **settings)
            else:
                outputs = await asyncio.to_thread(self.obj, messages, **settings)
        except ContextWindowExceededError as exc:
            raise _dspy_context_window_error(exc, self.model) from exc
        return _response(self.model, _check_outputs(self.obj, outputs))

    def launch(self, launch_kwargs: Any = None) -> None:
        """Nothing to start: the object lives in this process (``dspy.LM`` has ``launch`` for local
        servers, and ``BetterTogether`` calls it on every LM of the program)."""

    def kill(self, launch_kwargs: Any = None) -> None:
        """Nothing to stop (see :meth:`launch`)."""

    def update_history(self, entry: dict[str, Any]) -> None:
        """dspy's record of the call, also in dspex's history (``dspex.inspect_history``)."""
        super().update_history(entry)
        from dspex_dspy._history import record

        record(entry)

    def dump_state(self) -> dict[str, Any]:
        # A custom object cannot be saved with a program; record only what it was.
        return {"model": self.model, "model_type": self.model_type}

    def __repr__(self) -> str:
        return f"CustomLM({self.obj!r})"

