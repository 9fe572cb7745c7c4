"""An LM with default request settings: DSPy's ``lm.copy(**kwargs)``, natively.

DSPy's reward loops (``BestOfN``, ``Refine``) run each attempt on ``lm.copy(rollout_id=...,
temperature=1.0)``: a copy whose ``kwargs`` (the LM's default request settings) gain those
values. A call then sends ``{**lm.kwargs, **call settings}``, and ``Predict``'s n/temperature
rule reads ``lm.kwargs`` as the LM's defaults. :func:`with_defaults` gives the same thing for
what dspex configures as an LM:

* a :class:`dspex_core.LM` description: ``LM.copy(**settings)`` (its settings are the defaults
  the HTTP client merges under every call's);
* a custom LM object: :class:`LMWithDefaults`, which merges its defaults under each call's
  settings before calling the object (through the object's own client, so its usage still
  counts there), as the dspy backend's wrapper of such an object does once dspy has copied it.

:func:`default_settings` is DSPy's ``lm.kwargs`` for either. Nothing here imports more than the
core and the client registry.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import LM, LRUCache

from dspex_native.lm import get_client


class LMWithDefaults:
    """A custom LM object called with default request settings under each call's own.

    ``copy(**changes)`` is DSPy's ``BaseLM.copy``: the changes are added to the defaults, and a
    ``None`` value removes one. Capability hints the object declares (``supported_params``,
    ``supports_response_schema``, ``model``) are read through to it.
    """

    __slots__ = ("lm", "defaults", "_client")

    def __init__(self, lm: Any, defaults: Mapping[str, Any]):
        self.lm = lm
        self.defaults = dict(defaults)
        self._client: Any = None

    def _inner(self) -> Any:
        client = self._client
        if client is None:
            client = self._client = get_client(self.lm)
        return client

    def __call__(self, messages: list[dict[str, Any]], **settings: Any) -> list[Any]:
        return self._inner()(messages, **{**self.defaults, **settings})

    async def acall(self, messages: list[dict[str, Any]], **settings: Any) -> list[Any]:
        return await self._inner().acall(messages, **{**self.defaults, **settings})

    def _dspex_render(self, messages: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
        """What a call would send (``ref.render``): the inner LM's render with the defaults under
        the call's settings, as :meth:`__call__` passes them."""
        return self._inner().render(messages, **{**self.defaults, **settings})

    def copy(self, **changes: Any) -> "LMWithDefaults":
        return LMWithDefaults(self.lm, _changed(self.defaults, changes))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in self.__slots__:
            raise AttributeError(name)
        return getattr(self.lm, name)

    def __repr__(self) -> str:
        return f"LMWithDefaults({self.lm!r}, {self.defaults!r})"


def _changed(defaults: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(defaults)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def with_defaults(lm: Any, **settings: Any) -> Any:
    """``lm`` with ``settings`` added to its default request settings (DSPy's ``lm.copy``)."""
    if isinstance(lm, LM):
        return lm.copy(**settings)
    if type(lm) is LMWithDefaults:
        return lm.copy(**settings)
    return LMWithDefaults(lm, _changed({}, settings))


#: (id(lm), settings) -> (lm, its settings when copied, the copy): the same copy for the same LM and
#: settings, so that its client (and that client's cache and connections) is reused across calls.
_copies: LRUCache[tuple, tuple[Any, Any, Any]] = LRUCache(1024)


def cached_copy(lm: Any, **settings: Any) -> Any:
    """:func:`with_defaults`, made once per LM object and settings (while the LM's own settings stay)."""
    key = (id(lm), *settings.items())
    own = default_settings(lm)
    known = _copies.get(key)
    if known is not None and known[0] is lm and known[1] == own:
        return known[2]
    return _copies.put(key, (lm, dict(own), with_defaults(lm, **settings)))[2]


def default_settings(lm: Any) -> Mapping[str, Any]:
    """The LM's default request settings, as DSPy's ``lm.kwargs`` (a custom object has none)."""
    if isinstance(lm, LM):
        return lm.settings
    if type(lm) is LMWithDefaults:
        return lm.defaults
    return {}
