"""DSPy's ``dspy.Audio``: audio input, sent as an OpenAI ``input_audio`` content part.

A pydantic model of base64 ``data`` and its ``audio_format``. Construction takes only values in
memory (a ``data:audio/...`` URI, bytes, a numpy-like array, a dict, another ``Audio``);
:meth:`Audio.from_path` and :meth:`Audio.from_url` are the only readers of files and the network.
"""

import base64
import io
import warnings
from typing import Any

import pydantic

from dspex_compat._types_base import Type
from dspex_compat._types_fetch import download, guess_mime, is_http_url, read_file

__all__ = ["Audio", "encode_audio", "_normalize_audio_format"]


def _normalize_audio_format(audio_format: str) -> str:
    """``x-wav`` -> ``wav`` (MIME subtypes with the experimental prefix)."""
    return audio_format.removeprefix("x-")


class Audio(Type):
    """Audio as base64 ``data`` and its ``audio_format`` (``wav``, ``mp3``, ...)."""

    __module__ = "dspy.adapters.types.audio"
    data: str
    audio_format: str

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    def __init__(self, *args: Any, **data: Any):
        if len(args) > 1:
            raise TypeError(f"Audio expected at most 1 positional argument, received {len(args)}")
        if args:
            if "data" in data:
                raise TypeError("Audio received data as both a positional and keyword argument")
            value = args[0]
            sampling_rate = data.pop("sampling_rate", None)
            audio_format = data.pop("audio_format", None)
            if audio_format is not None and _carries_format(value):
                raise TypeError("Audio received audio_format alongside an input that already carries its format; "
                                "provide only one")
            if sampling_rate is not None and not hasattr(value, "shape"):
                raise TypeError("Audio received sampling_rate for a non-array input; it only applies to array data")
            data = {**encode_audio(value, sampling_rate=sampling_rate or 16000, format=audio_format or "wav"), **data}
        super().__init__(**data)

    def format(self) -> list[dict[str, Any]]:
        return [{"type": "input_audio", "input_audio": {"data": self.data, "format": self.audio_format}}]

    @pydantic.model_validator(mode="before")
    @classmethod
    def validate_input(cls, values: Any) -> Any:
        if isinstance(values, cls):
            return {"data": values.data, "audio_format": values.audio_format}
        return encode_audio(values)

    @classmethod
    def from_url(cls, url: str, verify: bool = True, timeout: float | None = 30.0) -> "Audio":
        """Download an http(s) audio file now."""
        if not is_http_url(url):
            raise ValueError(f"Audio.from_url requires an HTTP(S) URL, received: {url}")
        response = download(url, verify=verify, timeout=timeout)
        mime_type = response.headers.get("Content-Type", "audio/wav")
        if not mime_type.startswith("audio/"):
            raise ValueError(f"Unsupported MIME type for audio: {mime_type}")
        return cls(data=base64.b64encode(response.content).decode("utf-8"),
                   audio_format=_normalize_audio_format(mime_type.split("/")[1]))

    @classmethod
    def from_path(cls, file_path: str) -> "Audio":
        """A local audio file (its format from its MIME type)."""
        content = read_file(file_path)
        mime_type = guess_mime(file_path)
        if not mime_type or not mime_type.startswith("audio/"):
            raise ValueError(f"Unsupported MIME type for audio: {mime_type}")
        return cls(data=base64.b64encode(content).decode("utf-8"),
                   audio_format=_normalize_audio_format(mime_type.split("/")[1]))

    @classmethod
    def from_file(cls, file_path: str) -> "Audio":
        warnings.warn("Audio.from_file is deprecated and will be removed in 3.4; use Audio.from_path instead.",
                      DeprecationWarning, stacklevel=2)
        return cls.from_path(file_path)

    @classmethod
    def from_array(cls, array: Any, sampling_rate: int, format: str = "wav") -> "Audio":  # noqa: A002
        """A numpy-like array written as 16-bit PCM (soundfile, imported then)."""
        try:
            import soundfile
        except ImportError as exc:
            raise ImportError("soundfile is required to process audio arrays.") from exc
        buffer = io.BytesIO()
        soundfile.write(buffer, array, sampling_rate, format=format.upper(), subtype="PCM_16")
        return cls(data=base64.b64encode(buffer.getvalue()).decode("utf-8"), audio_format=format)

    def __str__(self) -> str:
        return self.serialize_model()

    def __repr__(self) -> str:
        return f"Audio(data=<AUDIO_BASE_64_ENCODED({len(self.data)})>, audio_format='{self.audio_format}')"


def _carries_format(value: Any) -> bool:
    return (isinstance(value, Audio) or (isinstance(value, dict) and "audio_format" in value)
            or (isinstance(value, str) and value.startswith("data:audio/")))


def encode_audio(audio: Any, sampling_rate: int = 16000, format: str = "wav") -> dict:  # noqa: A002
    """``{"data", "audio_format"}`` of an in-memory audio value (DSPy's ``encode_audio``)."""
    if isinstance(audio, dict) and "data" in audio and "audio_format" in audio:
        return audio
    if isinstance(audio, Audio):
        return {"data": audio.data, "audio_format": audio.audio_format}
    if isinstance(audio, str) and audio.startswith("data:audio/"):
        header, separator, b64data = audio.partition(",")
        _, slash, audio_format = header.removeprefix("data:").split(";", 1)[0].partition("/")
        if not separator or not slash or not audio_format:
            raise ValueError("Malformed audio data URI")
        return {"data": b64data, "audio_format": _normalize_audio_format(audio_format)}
    if isinstance(audio, str):
        raise ValueError("String audio inputs must be data URIs. Load local files with Audio.from_path() and "
                         "remote resources with Audio.from_url().")
    if hasattr(audio, "shape"):
        made = Audio.from_array(audio, sampling_rate=sampling_rate, format=format)
        return {"data": made.data, "audio_format": made.audio_format}
    if isinstance(audio, bytes):
        return {"data": base64.b64encode(audio).decode("utf-8"), "audio_format": format}
    raise ValueError(f"Unsupported type for encode_audio: {type(audio)}")
