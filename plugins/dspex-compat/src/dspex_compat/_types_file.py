"""DSPy's ``dspy.File``: a file input, sent as an OpenAI ``file`` content part.

A pydantic model of ``file_data`` (a data URI), ``file_id`` (a file uploaded to the provider)
and ``filename``. Construction takes only values in memory; :meth:`File.from_path` reads a file.
"""

import os
from typing import Any

import pydantic

from dspex_compat._types_base import Type
from dspex_compat._types_fetch import data_uri, guess_mime, read_file

__all__ = ["File", "encode_file_to_dict"]

_KEYS = ("file_data", "file_id", "filename")


class File(Type):
    """A file: its data URI, a provider's file id, and/or its name."""

    __module__ = "dspy.adapters.types.file"
    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None

    model_config = pydantic.ConfigDict(frozen=True, str_strip_whitespace=True, validate_assignment=True,
                                       extra="forbid")

    def __init__(self, *args: Any, **data: Any):
        if len(args) > 1:
            raise TypeError(f"File expected at most 1 positional argument, received {len(args)}")
        if args:
            normalized = dict(encode_file_to_dict(args[0]))
            overlap = sorted(set(normalized) & set(data))
            if overlap:
                raise TypeError(f"File received {', '.join(overlap)} from both the positional source and keyword "
                                "arguments")
            data = {**normalized, **data}
        super().__init__(**data)

    @pydantic.model_validator(mode="before")
    @classmethod
    def validate_input(cls, values: Any) -> Any:
        if isinstance(values, cls):
            return {"file_data": values.file_data, "file_id": values.file_id, "filename": values.filename}
        return encode_file_to_dict(values)

    def format(self) -> list[dict[str, Any]]:
        return [{"type": "file", "file": {k: getattr(self, k) for k in _KEYS if getattr(self, k)}}]

    def __str__(self) -> str:
        return self.serialize_model()

    def __repr__(self) -> str:
        parts = []
        if self.file_data is not None:
            if self.file_data.startswith("data:"):
                mime_type = self.file_data.split(";")[0].split(":")[1]
                length = len(self.file_data.split("base64,")[1]) if "base64," in self.file_data else len(self.file_data)
                parts.append(f"file_data=<DATA_URI({mime_type}, {length} chars)>")
            else:
                parts.append(f"file_data=<DATA({len(self.file_data)} chars)>")
        if self.file_id is not None:
            parts.append(f"file_id='{self.file_id}'")
        if self.filename is not None:
            parts.append(f"filename='{self.filename}'")
        return f"File({', '.join(parts)})"

    @classmethod
    def from_path(cls, file_path: str, filename: str | None = None, mime_type: str | None = None) -> "File":
        """A local file (named by its basename, its MIME type guessed unless given)."""
        content = read_file(file_path)
        mime_type = mime_type or guess_mime(file_path) or "application/octet-stream"
        return cls(file_data=data_uri(content, mime_type), filename=filename or os.path.basename(file_path))

    @classmethod
    def from_bytes(cls, file_bytes: bytes, filename: str | None = None,
                   mime_type: str = "application/octet-stream") -> "File":
        return cls(file_data=data_uri(file_bytes, mime_type), filename=filename)

    @classmethod
    def from_file_id(cls, file_id: str, filename: str | None = None) -> "File":
        return cls(file_id=file_id, filename=filename)


def encode_file_to_dict(file_input: Any) -> dict:
    """``{"file_data"?, "file_id"?, "filename"?}`` of bytes, a data URI, a dict or a ``File``."""
    if isinstance(file_input, File):
        return {k: getattr(file_input, k) for k in _KEYS if getattr(file_input, k) is not None}
    if isinstance(file_input, dict):
        if any(k in file_input for k in _KEYS):
            return file_input
        raise ValueError("Value of `dspy.File` must contain at least one of: file_data, file_id, or filename")
    if isinstance(file_input, str):
        if file_input.startswith("data:"):
            return {"file_data": file_input}
        raise ValueError(f"String file inputs must be data URIs, received: {file_input}. "
                         "Load local files with File.from_path().")
    if isinstance(file_input, bytes):
        return {"file_data": data_uri(file_input, "application/octet-stream")}
    raise ValueError(f"Unsupported file input type: {type(file_input)}")
