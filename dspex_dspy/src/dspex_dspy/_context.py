"""The language model and adapter a dspy module runs under.

Every call runs its dspy module inside ``dspy.context(lm=..., adapter=...)`` with what this file
resolves; dspy's global settings are never written, so dspex contexts and threads never see each
other's LM, and a ``dspy.configure(...)`` made elsewhere does not leak in.

* the LM is the call's (``lm=``), else the one the module was created with, else
  ``dspex.settings().lm``; it reaches dspy through :func:`dspex_dspy.translate.to_dspy_lm`;
* the adapter is the module's (``create(adapter=...)``), else ``dspex.configure(adapter=...)``,
  else ``None``: dspy's default (ChatAdapter with its JSONAdapter fallback); a module created with
  ``adapter_options={...}`` runs with a copy of that adapter holding those settings (DSPy's
  ``use_native_function_calling`` and ``parallel_tool_calls`` constructor arguments).
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

import dspy
from dspex_core.config import settings
from dspex_core.errors import InputError

from dspex_dspy.translate import to_dspy_lm

#: The adapter names dspex accepts, and the dspy class of each.
ADAPTERS = {"chat": "ChatAdapter", "json": "JSONAdapter", "xml": "XMLAdapter"}
NO_LM = ("no language model configured: dspex.configure(lm=dspex.LM('provider/model')), "
         "create(..., lm=...) or call with lm=")


def resolve_adapter(adapter: Any) -> Any:
    """``"chat"``/``"json"``/``"xml"``, a dspy adapter instance, or ``None`` (dspy's default:
    ChatAdapter with its JSONAdapter fallback)."""
    if adapter is None or isinstance(adapter, dspy.Adapter):
        return adapter
    if isinstance(adapter, str) and adapter in ADAPTERS:
        return getattr(dspy, ADAPTERS[adapter])()
    raise InputError(f"unknown adapter {adapter!r}; use one of {', '.join(ADAPTERS)} or a dspy.Adapter")


#: ``dspex.configure(adapter=name)`` as dspy adapters, one instance per name (at most three:
#: any other name fails in :func:`resolve_adapter` before it is stored).
_configured: dict[str, Any] = {}


def _configured_adapter(name: Any) -> Any:
    if isinstance(name, str):
        found = _configured.get(name)
        if found is None:
            found = _configured[name] = resolve_adapter(name)
        return found
    return resolve_adapter(name)


def resolve_lm(call_lm: Any, create_lm: Any) -> Any:
    """The dspy LM for a call: the call's, else the module's, else the configured one."""
    lm = call_lm if call_lm is not None else create_lm if create_lm is not None else settings().lm
    if lm is None:
        raise InputError(NO_LM)
    return to_dspy_lm(lm)


def call_context(call_lm: Any, create_lm: Any, create_adapter: Any,
                 adapter_options: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
    """``(dspy LM, adapter)`` for one call of a module created with ``create_lm``,
    ``create_adapter`` and ``adapter_options``; the settings are read once (this is every call's path)."""
    current = settings()
    lm = call_lm if call_lm is not None else create_lm if create_lm is not None else current.lm
    if lm is None:
        raise InputError(NO_LM)
    adapter = create_adapter
    if adapter is None and current.adapter is not None:
        adapter = _configured_adapter(current.adapter)
    if adapter_options:
        adapter = with_adapter_options(adapter, adapter_options)
    return to_dspy_lm(lm), adapter


#: ``(adapter, options) -> the adapter's copy with them``, by the adapter's id (its entry keeps the
#: adapter alive, so the id names it); a few entries: one per adapter a module with options runs with
_with_options: dict[tuple[int, tuple], tuple[Any, Any]] = {}


def with_adapter_options(adapter: Any, options: Mapping[str, Any]) -> Any:
    """A copy of ``adapter`` (``None``: dspy's default ChatAdapter) with DSPy's adapter settings
    ``options`` set, made once per adapter and options."""
    key = (id(adapter), tuple(sorted(options.items())))
    found = _with_options.get(key)
    if found is None:
        made = copy.copy(adapter) if adapter is not None else dspy.ChatAdapter()
        for name, value in options.items():
            setattr(made, name, value)
        if len(_with_options) >= 64:
            _with_options.clear()
        found = _with_options[key] = (adapter, made)
    return found[1]
