"""DSPy's ``dspy.Type``: the base of the types a signature field can hold with their own prompt form.

A ``Type`` is a pydantic model (DSPy's are, and programs subclass it with fields), so this module
imports pydantic; the layer loads it only when a program reads ``dspy.Type`` or one of the types
built on it (``dspy.Image``, ``dspy.Audio``, ...), keeping ``import dspy`` cheap. A value's prompt
form is :meth:`Type.format`: text, or OpenAI content parts, which the pydantic serializer wraps in
DSPy's custom-type markers so the backend's adapter splits them into message parts.
"""

import json
import typing
from typing import Any

import pydantic

__all__ = ["Type", "CUSTOM_TYPE_START_IDENTIFIER", "CUSTOM_TYPE_END_IDENTIFIER", "marked"]

CUSTOM_TYPE_START_IDENTIFIER = "<<CUSTOM-TYPE-START-IDENTIFIER>>"
CUSTOM_TYPE_END_IDENTIFIER = "<<CUSTOM-TYPE-END-IDENTIFIER>>"


def marked(parts: Any) -> Any:
    """Content parts wrapped in DSPy's custom-type markers (anything else as it is)."""
    if isinstance(parts, list):
        return f"{CUSTOM_TYPE_START_IDENTIFIER}{json.dumps(parts, ensure_ascii=False)}{CUSTOM_TYPE_END_IDENTIFIER}"
    return parts


class Type(pydantic.BaseModel):
    """A value with its own prompt form: subclasses define :meth:`format` (text or content parts)."""

    __module__ = "dspy.adapters.types.base_type"

    def format(self) -> list[dict[str, Any]] | str:
        raise NotImplementedError

    @classmethod
    def description(cls) -> str:
        """What the prompt says about the type (empty: nothing)."""
        return ""

    @classmethod
    def extract_custom_type_from_annotation(cls, annotation: Any) -> list[type]:
        """Every subclass of ``cls`` inside ``annotation``, however nested (``list[dict[str, Tool]]``)."""
        try:
            if isinstance(annotation, type) and issubclass(annotation, cls):
                return [annotation]
        except TypeError:  # list[X] is a type on Python 3.10 and issubclass refuses it
            pass
        if typing.get_origin(annotation) is None:
            return []
        return [found for arg in typing.get_args(annotation) for found in cls.extract_custom_type_from_annotation(arg)]

    @pydantic.model_serializer()
    def serialize_model(self) -> Any:
        return marked(self.format())

    @classmethod
    def adapt_to_native_lm_feature(cls, signature: Any, field_name: str, lm: Any, lm_kwargs: dict[str, Any]) -> Any:
        """The signature to send when the LM serves this type natively (here: unchanged)."""
        return signature

    @classmethod
    def is_streamable(cls) -> bool:
        return False

    @classmethod
    def parse_stream_chunk(cls, chunk: Any) -> Any:
        return None

    @classmethod
    def parse_lm_response(cls, response: str | dict[str, Any]) -> Any:
        return None
