"""DSPy's ``dspy.Image``: an image input, sent as an OpenAI ``image_url`` content part.

The layer's own pydantic model (DSPy validates images from LM output and nested models with
pydantic, and takes bytes and PIL images, which ``dspex.Image`` does not). Its class is named
as DSPy's (``dspy.adapters.types.image.Image``), so the native adapter renders it as DSPy does:
the serializer writes the custom-type marker, split into content parts around the text.
Construction keeps a URL or data URI as it is and encodes bytes and PIL images (Pillow,
imported then); only :meth:`Image.from_path` and :meth:`Image.from_url` read files or the network.
"""

import io
import warnings
from functools import lru_cache
from typing import Any

import pydantic

from dspex_compat._types_base import Type
from dspex_compat._types_fetch import data_uri, download, guess_mime, is_http_url, is_url, read_file

__all__ = ["Image", "encode_image", "is_image", "is_url"]

_UNSET = object()


class Image(Type):
    """An image: a URL (``http(s)://``, ``gs://``), a data URI, bytes or a PIL image."""

    __module__ = "dspy.adapters.types.image"
    url: str

    model_config = pydantic.ConfigDict(frozen=True, str_strip_whitespace=True, validate_assignment=True,
                                       extra="forbid")

    def __init__(self, source: Any = None, /, *, download: Any = _UNSET, verify: Any = _UNSET, **data: Any):
        wants_download, wants_verify = download is not _UNSET, verify is not _UNSET
        if (wants_download or wants_verify) and source is None:
            # pydantic validates dicts (LM output included) through __init__: never fetch from there
            raise TypeError("`download` and `verify` are only valid with a positional image source; "
                            "use Image.from_url(url, verify=...) to download a remote image.")
        if wants_download or wants_verify:
            warnings.warn("The `download` and `verify` arguments to Image() are deprecated and will be removed in "
                          "3.4. Use Image.from_url(url, verify=...) to download a remote image, or "
                          "Image.from_path(path) for a local file.", DeprecationWarning, stacklevel=2)
        if source is not None and "url" in data:
            raise TypeError("Image received both `source` and `url`; provide only one image source")
        if source is not None:
            data["url"] = source["url"] if isinstance(source, dict) and set(source) == {"url"} else source
        url = data.get("url")
        if wants_download and download and isinstance(url, str) and is_http_url(url):
            data["url"] = _from_url(url, verify=verify if wants_verify else True)
        elif "url" in data:
            data["url"] = encode_image(data["url"])
        super().__init__(**data)

    @lru_cache(maxsize=32)
    def format(self) -> list[dict[str, Any]] | str:
        try:
            url = encode_image(self.url)
        except Exception as exc:
            raise ValueError(f"Failed to format image for DSPy: {exc}") from exc
        return [{"type": "image_url", "image_url": {"url": url}}]

    @classmethod
    def from_url(cls, url: str, verify: bool = True, timeout: float | None = 30.0) -> "Image":
        """Download an http(s) image now and keep it as a data URI."""
        if not is_http_url(url):
            raise ValueError(f"Image.from_url requires an HTTP(S) URL, received: {url}")
        return cls(_from_url(url, verify=verify, timeout=timeout))

    @classmethod
    def from_path(cls, file_path: str) -> "Image":
        """A local file as a data URI (its MIME type guessed from its name)."""
        content = read_file(file_path)
        mime_type = guess_mime(file_path)
        if mime_type is None:
            raise ValueError(f"Could not determine MIME type for file: {file_path}")
        return cls(data_uri(content, mime_type))

    @classmethod
    def from_file(cls, file_path: str) -> "Image":
        warnings.warn("Image.from_file is deprecated and will be removed in 3.4; use Image.from_path instead.",
                      DeprecationWarning, stacklevel=2)
        return cls.from_path(file_path)

    @classmethod
    def from_PIL(cls, pil_image: Any) -> "Image":  # noqa: N802 - DSPy's name
        warnings.warn("Image.from_PIL is deprecated and will be removed in 3.4; use Image(pil_image) instead.",
                      DeprecationWarning, stacklevel=2)
        return cls(pil_image)

    def __str__(self) -> str:
        return self.serialize_model()

    def __repr__(self) -> str:
        if "base64" in self.url:
            length = len(self.url.split("base64,")[1])
            kind = self.url.split(";")[0].split("/")[-1]
            return f"Image(url=data:image/{kind};base64,<IMAGE_BASE_64_ENCODED({length!s})>)"
        return f"Image(url='{self.url}')"


def _from_url(url: str, verify: bool = True, timeout: float | None = 30.0) -> str:
    response = download(url, verify=verify, timeout=timeout)
    mime_type = response.headers.get("Content-Type", "") or guess_mime(url)
    if not mime_type:
        raise ValueError(f"Could not determine MIME type for URL: {url}")
    return data_uri(response.content, mime_type)


def _pil():
    try:
        from PIL import Image as PILImage
    except ImportError:
        return None
    return PILImage


def _is_pil(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.") and _pil() is not None and isinstance(value, _pil().Image)


def _encode_pil(image: Any) -> str:
    buffer = io.BytesIO()
    file_format = image.format or "PNG"
    image.save(buffer, format=file_format)
    mime_type = guess_mime(f"file.{file_format.lower()}")
    if mime_type is None:
        raise ValueError(f"Could not determine MIME type for image format: {file_format}")
    return data_uri(buffer.getvalue(), mime_type)


def encode_image(image: Any) -> str:
    """An image as a data URI, or a remote URL kept as it is (DSPy's ``encode_image``)."""
    if isinstance(image, dict) and "url" in image:
        return encode_image(image["url"])
    if isinstance(image, str):
        if image.startswith("data:") or is_url(image):
            return image
        raise ValueError(f"Unrecognized image string: {image}. Local files must be loaded with Image.from_path().")
    if _is_pil(image):
        return _encode_pil(image)
    if isinstance(image, bytes):
        pil = _pil()
        if pil is None:
            raise ImportError("Pillow is required to process image bytes.")
        from PIL import UnidentifiedImageError

        try:
            opened = pil.open(io.BytesIO(image))
        except UnidentifiedImageError as exc:
            raise ValueError(f"Bytes could not be identified as an image: {exc}") from exc
        return _encode_pil(opened)
    if isinstance(image, Image):
        return image.url
    raise ValueError(f"Unsupported image type: {type(image)}")


def is_image(obj: Any) -> bool:
    """Whether ``obj`` is a PIL image, a data URI or a URL."""
    if _is_pil(obj):
        return True
    return isinstance(obj, str) and (obj.startswith("data:") or is_url(obj))
