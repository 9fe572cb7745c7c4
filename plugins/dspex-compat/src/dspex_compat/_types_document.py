"""DSPy's ``dspy.experimental.Document``: a document the LM may cite (Anthropic's document block)."""

from typing import Any, Literal

import pydantic

from dspex_compat._types_base import Type

__all__ = ["Document"]


class Document(Type):
    """Text (or base64 PDF) content with an optional title and context."""

    __module__ = "dspy.adapters.types.document"
    data: str
    title: str | None = None
    media_type: Literal["text/plain", "application/pdf"] = "text/plain"
    context: str | None = None

    def format(self) -> list[dict[str, Any]]:
        block: dict[str, Any] = {
            "type": "document",
            "source": {"type": "base64" if self.media_type == "application/pdf" else "text",
                       "media_type": self.media_type, "data": self.data},
            "citations": {"enabled": True},
        }
        if self.title:
            block["title"] = self.title
        if self.context:
            block["context"] = self.context
        return [block]

    @classmethod
    def description(cls) -> str:
        return ("A document containing text content that can be referenced and cited. Include the full text "
                "content and optionally a title for proper referencing.")

    @pydantic.model_validator(mode="before")
    @classmethod
    def validate_input(cls, data: Any) -> Any:
        if isinstance(data, (cls, dict)):
            return data
        if isinstance(data, str):
            return {"data": data}
        raise ValueError(f"Received invalid value for `Document`: {data}")

    def __str__(self) -> str:
        title = f"'{self.title}': " if self.title else ""
        return f"Document({title}{len(self.data)} chars)"
