"""Replies without a call: what ``ref.parse(completion)`` returns and who reads it.

A program that calls the LM itself (DSPy's ``Adapter.parse(signature, completion)``, a two-step
adapter, a reply kept from an earlier run) needs the module's own reading of a reply: the same
parser its call uses, with the same types, defaults and errors. ``ref.parse(completion)`` asks
the module's implementation (the contract's optional ``parse(state, completion, **options)``) and
returns the output values as a plain dict. A completion the adapter cannot read raises the
backend's :class:`~dspex_core.errors.AdapterParseError`; a backend without ``parse`` is a
:class:`~dspex_core.errors.CapabilityError` naming it. Like a render, a parse is never routed
elsewhere: another backend's parser is not the one this reference reads replies with.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import CapabilityError, InputError, PluginError

__all__ = ["parse"]


def parse(ref: Any, completion: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """The output values ``ref``'s adapter reads from ``completion``."""
    if not isinstance(completion, str):
        raise InputError(f"parse() takes the text of one LM completion (a str), got {type(completion).__name__}")
    if not ref.has("parse"):
        raise CapabilityError(f"backend {ref.backend!r} cannot parse {ref.module_type!r} replies: its "
                              f"implementation has no parse(state, completion, **options)")
    result = ref.implementation.parse(ref.state, completion, **options)
    if not isinstance(result, Mapping):
        raise PluginError(f"backend {ref.backend!r} returned {type(result).__name__} from parse() of "
                          f"{ref.module_type!r}, not a mapping of output values (a bug in the backend's plugin)")
    return dict(result)
