"""The secrets the redactor knows: those of every live LM, and the provider keys in the environment.

An error, a log line or a print can echo a credential far from the object that holds it (a
library's logger, a module's ``print`` of a failed attempt), where nobody could pass the key
to :func:`dspex_core._redact.redact`. So every object that will send credentials (a
``dspex.LM``, a backend's client) registers them here with :func:`hold` for as long as it lives,
and :func:`known` gives the redactor all of them at once, plus the current values of the
providers' key variables (read at each call, so a key set or rotated in the environment after
the LM was made is hidden too).

Held texts are counted per holder and forgotten when the holder is collected, so a process that
makes an LM per user does not accumulate everyone's keys. They live only in this process's
memory, as the LMs holding them do; nothing is written anywhere.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

from dspex_core._credentials import PROVIDER_BASE_ENV, PROVIDER_KEY_ENV, environment_secrets, usable

_lock = threading.Lock()
#: secret text -> how many live holders hold it
_held: dict[str, int] = {}
#: the held texts, longest first (rebuilt when a holder comes or goes)
_held_sorted: tuple[str, ...] = ()
#: environment variables whose values are secrets: the table's, and those of every provider an
#: LM was made for (names only, never values); replaced, never changed in place
_key_names: tuple[str, ...] = tuple(dict.fromkeys(PROVIDER_KEY_ENV.values()))
_base_names: tuple[str, ...] = tuple(dict.fromkeys(PROVIDER_BASE_ENV.values()))


def hold(owner: Any, texts: Iterable[str]) -> None:
    """Know ``texts`` as secrets while ``owner`` lives (it must support weak references)."""
    kept = usable(texts)
    if not kept:
        return
    import weakref  # only once something holds a secret

    with _lock:
        for text in kept:
            _held[text] = _held.get(text, 0) + 1
        _resort()
    weakref.finalize(owner, _release, kept)


def watch_environment(key_names: Iterable[str], base_names: Iterable[str] = ()) -> None:
    """Treat the values of these environment variables as secrets from now on (a provider's
    key and base-URL variables, for an LM of a provider the tables do not list)."""
    global _key_names, _base_names
    new_keys = [n for n in key_names if n and n not in _key_names]
    new_bases = [n for n in base_names if n and n not in _base_names]
    if new_keys or new_bases:
        with _lock:
            _key_names = tuple(dict.fromkeys((*_key_names, *new_keys)))
            _base_names = tuple(dict.fromkeys((*_base_names, *new_bases)))


def known() -> tuple[str, ...]:
    """Every secret to hide now, longest first: the held ones and the environment's keys."""
    from_env = environment_secrets(_key_names, _base_names)
    if not from_env:
        return _held_sorted
    if not _held_sorted:
        return from_env
    return usable((*_held_sorted, *from_env))


def _release(texts: tuple[str, ...]) -> None:
    with _lock:
        for text in texts:
            count = _held.get(text, 0) - 1
            if count > 0:
                _held[text] = count
            else:
                _held.pop(text, None)
        _resort()


def _resort() -> None:
    global _held_sorted
    _held_sorted = tuple(sorted(_held, key=len, reverse=True))
