"""The rules of ``adapter_options``, one copy for every backend.

DSPy's adapters take constructor settings that change the request: ``use_native_function_calling``
(send tools to the provider and read its tool calls, instead of writing them in the prompt; on for
the JSONAdapter, off otherwise) and ``parallel_tool_calls``. ``predict`` and ``chain_of_thought``
take them as ``adapter_options={...}``, for whichever adapter the call runs with (the module's, the
configured one, or DSPy's default ChatAdapter). A mistake is an :class:`~dspex_core.errors.InputError`
with the same words whichever backend serves the module. Backends use this module as
``dspex_core.backend.adapter_rules``.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError

#: the settings ``adapter_options`` may hold
OPTIONS = frozenset({"use_native_function_calling", "parallel_tool_calls"})
#: the module types that take ``adapter_options`` at create time
MODULE_TYPES = frozenset({"predict", "chain_of_thought"})


def check(module_type: str, options: Any) -> dict[str, Any]:
    """``adapter_options`` checked (``use_native_function_calling``: bool, ``parallel_tool_calls``:
    bool or ``None``), without the settings left at ``None``; ``{}`` for ``None``."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise InputError(f"{module_type}: adapter_options must be a dict, got {type(options).__name__}")
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise InputError(f"{module_type}: unknown adapter option(s) {unknown}; accepted: {', '.join(sorted(OPTIONS))}")
    native = options.get("use_native_function_calling")
    if native is not None and not isinstance(native, bool):
        raise InputError(f"{module_type}: adapter_options use_native_function_calling must be a bool, got {native!r}")
    parallel = options.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise InputError(f"{module_type}: adapter_options parallel_tool_calls must be a bool or None, got {parallel!r}")
    return {k: v for k, v in options.items() if v is not None}
