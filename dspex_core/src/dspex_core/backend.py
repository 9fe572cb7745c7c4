"""What a backend author imports: the implementation contract, the module-type table, and the
core's types and helpers that implementations need.

A backend plugin registers one implementation per module type it serves::

    from dspex_core.backend import Implementation, Prediction, hookimpl

    class MyPredict(Implementation):
        module_type = "predict"

        def create(self, spec, **options): ...
        def execute(self, state, inputs, **options): ...

    @hookimpl
    def dspex_register_implementations(register):
        register("predict", MyPredict(), backend="mine", native=True, priority=50)

``register`` checks every implementation against :class:`Implementation` (required ``create``
and ``execute``; optional ``acreate``, ``aexecute``, ``describe``, ``save``, ``dump_state``,
``load_state``, ``compile``, ``unwrap``, ``render``, ``parse``, ``stream``, ``astream``, ``not_implemented``) and rejects a
wrong one with an error naming the plugin and the method. ``stream(state, inputs, **options)`` yields
:class:`StreamChunk` items as output text arrives, then the final Prediction (``astream``: an async
generator doing the same); an implementation without them is streamed as its final Prediction
alone (docs/streaming.md). docs/architecture.md walks through adding a module type or a backend;
``dspex_core.testing`` has the conformance kit that checks one against another.

Backends and plugins import the core only through this module and the other public ones
(``dspex_core``, ``dspex_core.errors``, ``dspex_core.config``, ``dspex_core.registry``,
``dspex_core.programs``, ``dspex_core.telemetry``, ``dspex_core.testing``); a test fails on an
import of a private ``dspex_core._...`` module from outside the core.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core import _colbert_rules as colbert_rules, _input_rules as input_rules, _mipro_rules as mipro_rules
from dspex_core import _adapter_rules as adapter_rules
from dspex_core import _lm_call_rules as lm_call_rules
from dspex_core import _score_rules as score_rules, _settings_rules as settings_rules
from dspex_core import registry
from dspex_core import _credentials as credentials
from dspex_core import _parallel_rules as parallel_rules
from dspex_core import _lm_deadline as lm_deadline, _sandbox_limits as sandbox_limits
from dspex_core._conversation import History, is_history_type
from dspex_core._example import Example, Prediction, example_of
from dspex_core._image import Image, is_image_type
from dspex_core._example_sets import check_example_set, demo_dicts
from dspex_core._fields import FieldSpec
from dspex_core._implementation import (
    OPTIONAL_METHODS,
    REQUIRED_METHODS,
    Implementation,
    check_implementation,
    implemented_methods,
)
from dspex_core._lm import PROVIDER_BASE_ENV, PROVIDER_KEY_ENV, SECRET_SETTINGS, LanguageModel, LM, is_custom_lm
from dspex_core._lru import LRUCache
from dspex_core._module_ref import ModuleRef
from dspex_core._module_types import ModuleType, module_type, module_types
from dspex_core._print_redaction import redacted_prints
from dspex_core._history import record_history
from dspex_core._render import CLIENT_SETTINGS, rendered
from dspex_core._redact import redact, strip_credentials, url_credentials, url_secrets
from dspex_core._secret_registry import hold as hold_secrets
from dspex_core._session import current_session_id
from dspex_core._stream_chunk import StreamChunk
from dspex_core._tool_calls import ToolCallResults, ToolCalls, is_tool_calls_type
from dspex_core._signature import Field, InputField, OutputField, Signature, default_instructions, infer_prefix
from dspex_core._text import cleandoc
from dspex_core._types import allows_none, type_name

__all__ = [
    # the contract
    "Implementation", "REQUIRED_METHODS", "OPTIONAL_METHODS", "check_implementation", "implemented_methods",
    "hookimpl",
    # the module-type table
    "ModuleType", "module_types", "module_type",
    # data types
    "Signature", "Field", "FieldSpec", "InputField", "OutputField", "infer_prefix", "default_instructions",
    "Example", "Prediction", "StreamChunk", "LM", "LanguageModel", "is_custom_lm", "ModuleRef", "History",
    "is_history_type", "Image", "is_image_type", "ToolCalls", "ToolCallResults", "is_tool_calls_type",
    "SECRET_SETTINGS", "PROVIDER_KEY_ENV", "PROVIDER_BASE_ENV",
    # helpers
    "module_ref", "current_session_id", "redact", "strip_credentials", "url_credentials", "url_secrets", "type_name",
    "allows_none", "cleandoc", "LRUCache", "check_example_set", "demo_dicts", "example_of",
    # prompts without a call (render) and the settings never sent to a provider
    "rendered", "CLIENT_SETTINGS",
    # every completed LM call, for dspex.inspect_history()
    "record_history",
    # credentials: where they come from, what to hide (the redactor knows what holders hold)
    "credentials", "hold_secrets", "redacted_prints",
    # the rules of module types every backend applies alike
    "parallel_rules", "colbert_rules", "mipro_rules", "lm_call_rules", "adapter_rules", "input_rules", "settings_rules",
    "score_rules",
    # the rules every backend's LM calls and code sandbox follow
    "lm_deadline", "sandbox_limits",
]


def module_ref(backend: str, module_type: str, state: Any, *, spec: Any = None,
               options: Mapping[str, Any] | None = None, session_id: str | None = None) -> ModuleRef:
    """A reference to a module a backend made itself (a compiled program, a loaded one), served by
    the implementation ``backend`` registered for ``module_type``; the session is the current one
    unless ``session_id`` says otherwise."""
    from dspex_core.errors import ModuleTypeNotServedError

    reg = registry.lookup(backend, module_type)
    if reg is None:
        raise ModuleTypeNotServedError(f"backend {backend!r} does not serve {module_type!r}; it serves: "
                                       f"{', '.join(registry.list_by_implementation().get(backend, [])) or 'nothing'}")
    return ModuleRef(backend, module_type, state, session_id or current_session_id(), spec, options,
                     reg.implementation, (), reg.methods)


def __getattr__(name: str) -> Any:
    if name == "hookimpl":  # imports pluggy: only when a plugin module asks for it
        from dspex_core.hookspecs import hookimpl

        globals()["hookimpl"] = hookimpl
        return hookimpl
    raise AttributeError(f"module 'dspex_core.backend' has no attribute {name!r}")
