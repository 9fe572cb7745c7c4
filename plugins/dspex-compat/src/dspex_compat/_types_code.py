"""DSPy's ``dspy.Code`` (and ``dspy.Code["java"]``): code as a field value, read out of a
markdown code block when the LM writes one."""

import re
from typing import Any, ClassVar

import pydantic

from dspex_compat._types_base import Type

__all__ = ["Code"]


class Code(Type):
    """Code in ``code``; the class's ``language`` (python unless ``Code["lang"]``) is in the prompt."""

    __module__ = "dspy.adapters.types.code"
    code: str
    language: ClassVar[str] = "python"

    def format(self) -> str:
        return f"{self.code}"

    @pydantic.model_serializer()
    def serialize_model(self) -> str:
        return self.format()

    @classmethod
    def description(cls) -> str:
        return ("Code represented in a string, specified in the `code` field. If this is an output field, the code "
                "field should follow the markdown code block format, e.g. \n"
                f"```{cls.language.lower()}\n{{code}}\n```\nProgramming language: {cls.language}")

    @pydantic.model_validator(mode="before")
    @classmethod
    def validate_input(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        if isinstance(data, str):
            return {"code": _code_block(data)}
        if isinstance(data, dict):
            if "code" not in data:
                raise ValueError("`code` field is required for `dspy.Code`")
            if not isinstance(data["code"], str):
                raise ValueError(f"`code` field must be a string, but received type: {type(data['code'])}")
            return {"code": _code_block(data["code"])}
        raise ValueError(f"Received invalid value for `dspy.Code`: {data}")

    def __class_getitem__(cls, language: Any) -> type:  # type: ignore[override]
        made = pydantic.create_model(f"{cls.__name__}_{language}", __base__=cls)
        made.language = language
        return made


def _code_block(text: str) -> str:
    """The body of the first markdown code block in ``text`` (``text`` itself if none)."""
    match = re.search(r"```(?:[^\n]*)\n(.*?)```", text, re.DOTALL) or re.search(r"```(.*?)```", text, re.DOTALL)
    return match.group(1).strip() if match else text
