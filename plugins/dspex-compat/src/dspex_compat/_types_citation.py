"""DSPy's ``dspy.experimental.Citations``: the passages of cited documents an answer rests on.

An output of this type is read from the LM's native citations (Anthropic's, which LiteLLM
returns beside the text) by :meth:`Citations.parse_lm_response`; on other LMs it is an ordinary
output field described by :meth:`Citations.description`.
"""

from typing import Any

import pydantic

from dspex_compat._types_base import Type

__all__ = ["Citations"]


class Citation(Type):
    """One cited passage: its text, the document it comes from and where in it."""

    __module__ = "dspy.adapters.types.citation"
    __qualname__ = "Citations.Citation"
    type: str = "char_location"
    cited_text: str
    document_index: int
    document_title: str | None = None
    start_char_index: int
    end_char_index: int
    supported_text: str | None = None

    def format(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "cited_text": self.cited_text,
                                "document_index": self.document_index, "start_char_index": self.start_char_index,
                                "end_char_index": self.end_char_index}
        if self.document_title:
            data["document_title"] = self.document_title
        if self.supported_text:
            data["supported_text"] = self.supported_text
        return data


class Citations(Type):
    """The citations of one answer (iterable, indexable, sized)."""

    __module__ = "dspy.adapters.types.citation"
    Citation = Citation
    citations: list[Citation]

    @classmethod
    def from_dict_list(cls, citations_dicts: list[dict[str, Any]]) -> "Citations":
        return cls(citations=[Citation(**item) for item in citations_dicts])

    @classmethod
    def description(cls) -> str:
        return ("Citations with quoted text and source references. Include the exact text being cited and "
                "information about its source.")

    def format(self) -> list[dict[str, Any]]:
        return [citation.format() for citation in self.citations]

    @pydantic.model_validator(mode="before")
    @classmethod
    def validate_input(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        if isinstance(data, list) and all(isinstance(item, dict) and "cited_text" in item for item in data):
            return {"citations": [Citation(**item) for item in data]}
        if isinstance(data, dict):
            if "citations" in data:
                items = data["citations"]
                if isinstance(items, list):
                    return {"citations": [Citation(**item) if isinstance(item, dict) else item for item in items]}
            elif "cited_text" in data:
                return {"citations": [Citation(**data)]}
        raise ValueError(f"Received invalid value for `Citations`: {data}")

    def __iter__(self):  # type: ignore[override] - iterates the citations, as DSPy's
        return iter(self.citations)

    def __len__(self) -> int:
        return len(self.citations)

    def __getitem__(self, index: Any) -> Any:
        return self.citations[index]

    @classmethod
    def adapt_to_native_lm_feature(cls, signature: Any, field_name: str, lm: Any, lm_kwargs: dict[str, Any]) -> Any:
        """Anthropic returns citations natively: the field is not asked for in the prompt."""
        if lm.model.startswith("anthropic/"):
            return signature.delete(field_name)
        return signature

    @classmethod
    def is_streamable(cls) -> bool:
        return True

    @classmethod
    def parse_stream_chunk(cls, chunk: Any) -> "Citations | None":
        try:
            delta = chunk.choices[0].delta
            fields = getattr(delta, "provider_specific_fields", None) or {}
            citation = fields.get("citation")
            if citation:
                return cls.from_dict_list([citation])
        except (AttributeError, IndexError, TypeError):
            pass
        return None

    @classmethod
    def parse_lm_response(cls, response: str | dict[str, Any]) -> "Citations | None":
        if isinstance(response, dict) and isinstance(response.get("citations"), list):
            return cls.from_dict_list(response["citations"])
        return None
