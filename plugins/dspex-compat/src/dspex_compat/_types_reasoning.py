"""DSPy's ``dspy.Reasoning``: a reasoning output that behaves as its text.

On an LM that reasons natively (with ``reasoning_effort``), the field is not asked for in the
prompt and is read from the reply's ``reasoning_content``; otherwise it is an ordinary text output.
"""

from typing import Any

import pydantic

from dspex_compat._types_base import Type

__all__ = ["Reasoning"]


class Reasoning(Type):
    """The LM's reasoning; compares, indexes, iterates and concatenates as a ``str``."""

    __module__ = "dspy.adapters.types.reasoning"
    content: str

    def format(self) -> str:
        return f"{self.content}"

    @pydantic.model_validator(mode="before")
    @classmethod
    def validate_input(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        if isinstance(data, str):
            return {"content": data}
        if isinstance(data, dict):
            if "content" not in data:
                raise ValueError("`content` field is required for `dspy.Reasoning`")
            if not isinstance(data["content"], str):
                raise ValueError(f"`content` field must be a string, but received type: {type(data['content'])}")
            return {"content": data["content"]}
        raise ValueError(f"Received invalid value for `dspy.Reasoning`: {data}")

    @classmethod
    def adapt_to_native_lm_feature(cls, signature: Any, field_name: str, lm: Any, lm_kwargs: dict[str, Any]) -> Any:
        """With native reasoning (an effort set, the LM supporting it), the field is left out of the prompt."""
        if "reasoning_effort" in lm_kwargs:
            effort = lm_kwargs["reasoning_effort"]
        else:
            effort = getattr(lm, "kwargs", {}).get("reasoning_effort", "low")
        if effort is None or not getattr(lm, "supports_reasoning", False):
            return signature
        if "gpt-5" in lm.model and getattr(lm, "model_type", "chat") == "chat":
            return signature
        lm_kwargs["reasoning_effort"] = effort
        return signature.delete(field_name)

    @classmethod
    def parse_lm_response(cls, response: str | dict[str, Any]) -> "Reasoning | None":
        if "reasoning_content" in response:
            return Reasoning(content=response["reasoning_content"])  # type: ignore[index]
        return None

    @classmethod
    def parse_stream_chunk(cls, chunk: Any) -> str | None:
        try:
            choices = getattr(chunk, "choices", None)
            if choices:
                return getattr(choices[0].delta, "reasoning_content", None)
        except (AttributeError, IndexError, TypeError):
            return None
        return None

    @classmethod
    def is_streamable(cls) -> bool:
        return True

    def __repr__(self) -> str:
        return f"{self.content!r}"

    def __str__(self) -> str:
        return self.content

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Reasoning):
            return self.content == other.content
        if isinstance(other, str):
            return self.content == other
        return False

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.content)

    def __getitem__(self, key: Any) -> Any:
        return self.content[key]

    def __contains__(self, item: Any) -> bool:
        return item in self.content

    def __iter__(self):  # type: ignore[override]
        return iter(self.content)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, Reasoning):
            return Reasoning(content=self.content + other.content)
        if isinstance(other, str):
            return self.content + other
        return NotImplemented

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, str):
            return other + self.content
        if isinstance(other, Reasoning):
            return Reasoning(content=other.content + self.content)
        return NotImplemented

    def __getattr__(self, name: str) -> Any:
        if hasattr(str, name):
            return getattr(self.content, name)
        raise AttributeError(f"`{type(self).__name__}` object has no attribute '{name}'. If you are using "
                             "`dspy.ChainOfThought`, note that the 'reasoning' field in ChainOfThought is now a "
                             "`dspy.Reasoning` object (not a plain string). You can convert it to a string with "
                             "str(reasoning) or access the content with reasoning.content.")
