"""``RedactingLM``: the ``dspy.LM`` the backend makes for a ``dspex.LM``, minus key echoes.

Providers echo a rejected key in their 401 message, and dspy's own modules print or log the
exceptions they swallow (``BestOfN``/``Refine`` print each failed attempt, ``BootstrapFewShot``
and the parallel executor log them). Redacting the error where dspex raises it is too late
for those lines, so the LM redacts its own errors before dspy sees them: the message loses
every secret the core's redactor knows (the LM's key, the provider's key variable, the base
URL's ``user:password@`` in all its forms, header values, key-shaped strings), and the
exception chain, whose provider errors hold the unredacted text, is dropped. Errors without a
secret in them pass through untouched. While it lives, the LM's credentials are held by the
redactor, so dspy's and LiteLLM's log records are redacted too.

Everything else is ``dspy.LM`` itself (same engine, cache, retries); only ``__call__``/``acall``
are wrapped, so dspy still runs it as its own managed LM, not as a legacy plugin.
``dump_state`` records it as ``dspy.LM`` without credentials: no key, header or URL credentials.

``cache_key_includes_credentials=True`` turns dspy's response cache off for this LM (reads and
writes; dspy's ``_cache_responses`` switch, which its ``DummyLM`` uses too). dspy keys its cache
on the request without ``api_key``/``api_base`` and sends every other field it keys on, so a
credential cannot be added to its key without sending it or changing dspy's process-wide
cache; turning the cache off is the one way a new or revoked key always reaches the server.
"""

from __future__ import annotations

from typing import Any

import dspy
from dspex_core.backend import SECRET_SETTINGS, credentials, hold_secrets, redact, strip_credentials

from dspex_dspy._deadline import DeadlineLM
from dspex_dspy._history import record

#: Settings that are the backend's options, not dspy's (never sent, never saved).
_OPTIONS = ("cache_key_includes_credentials",)


def lm_secrets(lm: Any) -> tuple[str, ...]:
    """What a dspy LM's settings will send that must stay hidden: its key, header values and
    base-URL credentials (the provider's key variable is known to the core's redactor)."""
    kwargs = getattr(lm, "kwargs", None)
    if not isinstance(kwargs, dict):
        return ()
    if kwargs.get("api_key") == credentials.NO_KEY_PLACEHOLDER:  # not a secret: no key was given
        kwargs = {k: v for k, v in kwargs.items() if k != "api_key"}
    return credentials.settings_secrets(kwargs)


def _chain_texts(exc: BaseException) -> list[str]:
    texts, seen, link = [], set(), exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        texts.append(str(link))
        link = link.__cause__ or link.__context__
    return texts


def scrub(exc: BaseException, lm: Any) -> bool:
    """Redact ``exc`` in place; ``True`` when it held a secret (its chain is then cut)."""
    secrets = lm_secrets(lm)
    texts = _chain_texts(exc)
    if all(redact(text, *secrets, limit=None) == text for text in texts):
        return False
    exc.args = tuple(redact(a, *secrets, limit=None) if isinstance(a, str) else a for a in exc.args)
    if isinstance(getattr(exc, "message", None), str):
        exc.message = redact(exc.message, *secrets, limit=None)
    exc.__cause__ = None
    exc.__context__ = None
    exc.__suppress_context__ = True
    return True


class RedactingLM(DeadlineLM):  # DeadlineLM: the call ends by its timeout (dspex_dspy._deadline)
    """``dspy.LM`` whose errors, logs and saved state never carry its credentials (see the
    module docstring)."""

    def __init__(self, model: str, *, cache_key_includes_credentials: bool = False, **kwargs: Any):
        super().__init__(model, **kwargs)
        if cache_key_includes_credentials:
            self._cache_responses = False
        hold_secrets(self, lm_secrets(self))

    def copy(self, **kwargs: Any) -> Any:
        copied = super().copy(**kwargs)
        hold_secrets(copied, lm_secrets(copied))  # the copy may outlive this LM (BestOfN's rollouts)
        return copied

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if scrub(exc, self):
                raise exc from None
            raise

    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().acall(*args, **kwargs)
        except Exception as exc:
            if scrub(exc, self):
                raise exc from None
            raise

    def update_history(self, entry: dict[str, Any]) -> None:
        """dspy's record of the call, also in dspex's history (``dspex.inspect_history``)."""
        super().update_history(entry)
        record(entry)

    def dump_state(self) -> dict[str, Any]:
        """``dspy.LM``'s state, recorded as ``dspy.LM`` (a program saved with it loads in plain
        dspy, where this class does not exist), without credentials: no key, headers or
        organization, and base URLs without ``user:password@``."""
        from dspy.clients.base_lm import LM_CLASS_STATE_KEY

        state = {k: v for k, v in super().dump_state().items() if k not in SECRET_SETTINGS and k not in _OPTIONS}
        for name in credentials.URL_SETTINGS:
            if isinstance(state.get(name), str):
                state[name] = strip_credentials(state[name])
        return {**state, LM_CLASS_STATE_KEY: f"{dspy.LM.__module__}.{dspy.LM.__qualname__}"}
