"""``RedactingLM``: the ``dspy.LM`` the backend makes for a ``dspex.LM``, minus key echoes.

Providers echo a rejected key in their 401 message, and dspy's own modules print or log the
exceptions they swallow (``BestOfN``/``Refine`` print each failed attempt, ``BootstrapFewShot``
and the parallel executor log them). Redacting the error where dspex raises it is too late
for those lines, so the LM redacts its own errors before dspy sees them: the message loses
the key (and ``user:password@`` of the base URL, and key-shaped strings), and the exception
chain, whose provider errors hold the unredacted text, is dropped. Errors without a secret
in them pass through untouched. Everything else is ``dspy.LM`` itself (same engine, cache,
retries, ``dump_state``); only ``__call__``/``acall`` are wrapped, so dspy still runs it as
its own managed LM, not as a legacy plugin.
"""

from __future__ import annotations

from typing import Any

import dspy
from dspex_core.backend import redact, url_credentials
from dspy.utils.exceptions import LMError


def lm_secrets(lm: Any) -> tuple[str | None, ...]:
    """A dspy LM's key and the ``user:password`` of its base URL (``None`` where it has none)."""
    kwargs = getattr(lm, "kwargs", None) or {}
    return kwargs.get("api_key"), url_credentials(kwargs.get("api_base") or kwargs.get("base_url"))


def _chain_texts(exc: BaseException) -> list[str]:
    texts, seen, link = [], set(), exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        texts.append(str(link))
        link = link.__cause__ or link.__context__
    return texts


def scrub(exc: LMError, lm: Any) -> bool:
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


class RedactingLM(dspy.LM):
    """``dspy.LM`` whose errors never carry its key (see the module docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except LMError as exc:
            if scrub(exc, self):
                raise exc from None
            raise

    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().acall(*args, **kwargs)
        except LMError as exc:
            if scrub(exc, self):
                raise exc from None
            raise

    def dump_state(self) -> dict[str, Any]:
        """``dspy.LM``'s state, recorded as ``dspy.LM``: a program saved with it loads in plain
        dspy, where this class does not exist."""
        from dspy.clients.base_lm import LM_CLASS_STATE_KEY

        return {**super().dump_state(), LM_CLASS_STATE_KEY: f"{dspy.LM.__module__}.{dspy.LM.__qualname__}"}
