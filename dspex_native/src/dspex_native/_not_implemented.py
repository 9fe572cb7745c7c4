"""What the native backend does not build yet, as ``dspex backends`` lists it.

Each phrase names a feature that raises :class:`dspex_core.CapabilityError` (a
``NotImplementedError``) when asked for, so that a router with ``allow_fallback`` can serve
the call on dspy instead. The implementations carry these lists as their
``not_implemented`` attribute; tests/native/test_not_implemented.py asks for each feature
and checks that it raises.
"""

from __future__ import annotations

XML_ADAPTER = "adapter='xml' (DSPy's XMLAdapter; the chat and json adapters are native)"
ADAPTER_TYPES = ("field types other than str, int, float, bool, Any, list[...], dict[str, ...], Literal[...] "
                 "and unions of those (tuple, pydantic models, dspy.Image, ...)")
FIELD_OPTIONS = "pydantic constraints and defaults on signature fields (ge=, max_length=, default=, ...)"
LM_PROVIDERS = ("LM providers without an OpenAI-compatible endpoint (anthropic/, gemini/, bedrock/, ...) "
                "unless api_base= points at one")
CHECKED_TYPES = ("field types the native checks cannot follow (typing constructs other than classes, "
                 "Literal, unions and list/tuple/set/dict of those, e.g. Callable[...])")

#: predict, chain_of_thought and the signature step (a typed Predict)
PREDICT = (XML_ADAPTER, ADAPTER_TYPES, FIELD_OPTIONS, LM_PROVIDERS)
VALIDATOR = (CHECKED_TYPES,)
