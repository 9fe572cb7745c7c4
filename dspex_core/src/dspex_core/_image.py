"""``dspex.Image``: an image as an input field's value, sent as an OpenAI ``image_url`` content part.

DSPy's ``dspy.Image`` without pydantic or Pillow. An image is a URL: a remote ``http(s)://`` or
``gs://`` reference (sent as it is; nothing is fetched) or a ``data:`` URI. ``Image.from_file``
(or ``from_path``) reads a local file into a data URI; ``Image.from_url(url)`` keeps the URL,
and only ``from_url(url, download=True)`` fetches it. In a prompt an image is DSPy's custom-type
marker text (``<<CUSTOM-TYPE-START-IDENTIFIER>>[{"type": "image_url", ...}]<<CUSTOM-TYPE-END-...>>``),
which the backends turn into content parts around the text, as DSPy's adapters do.
Raw bytes and PIL images are not taken: DSPy re-encodes those with Pillow.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import InputError

CUSTOM_TYPE_START = "<<CUSTOM-TYPE-START-IDENTIFIER>>"
CUSTOM_TYPE_END = "<<CUSTOM-TYPE-END-IDENTIFIER>>"


def _is_url(text: str, schemes: tuple[str, ...] = ("http", "https", "gs")) -> bool:
    """DSPy's ``is_url``: a scheme it takes and a host."""
    from urllib.parse import urlparse

    try:
        parsed = urlparse(text)
    except ValueError:
        return False
    return parsed.scheme in schemes and bool(parsed.netloc)


def _checked_url(source: Any) -> str:
    if isinstance(source, Image):
        return source.url
    if isinstance(source, dict) and set(source) == {"url"}:  # DSPy's legacy form
        source = source["url"]
    if isinstance(source, str):
        if source.startswith("data:") or _is_url(source):
            return source
        raise InputError(f"Unrecognized image string: {source[:80]!r}; an Image is an http(s)/gs URL or a data: URI "
                         f"(local files: dspex.Image.from_file(path))")
    if isinstance(source, (bytes, bytearray)) or type(source).__module__.startswith("PIL."):
        raise InputError("dspex.Image does not decode image bytes or PIL images (DSPy re-encodes them with Pillow); "
                         "pass a data: URI or use dspex.Image.from_file(path)")
    raise InputError(f"an Image takes a URL or a data: URI, got {type(source).__name__}")


class Image:
    """An image: ``Image("https://...")``, ``Image(url="data:image/png;base64,...")``,
    ``Image.from_file("cat.png")``."""

    __slots__ = ("url",)
    url: str

    def __init__(self, source: Any = None, /, *, url: Any = None) -> None:
        if source is not None and url is not None:
            raise InputError("Image received both a source and url=; give one")
        if source is None and url is None:
            raise InputError("Image needs a URL or a data: URI: Image(url=...)")
        object.__setattr__(self, "url", _checked_url(source if source is not None else url))

    @classmethod
    def from_file(cls, path: str) -> Image:
        """A local file as a data URI (its MIME type guessed from its name, as DSPy does)."""
        import base64
        import mimetypes
        import os

        if not os.path.isfile(path):
            raise InputError(f"File not found: {path}")
        mime_type, _ = mimetypes.guess_type(path)
        if mime_type is None:
            raise InputError(f"Could not determine MIME type for file: {path}")
        with open(path, "rb") as file:
            data = base64.b64encode(file.read()).decode("utf-8")
        return cls(f"data:{mime_type};base64,{data}")

    from_path = from_file

    @classmethod
    def from_url(cls, url: str, *, download: bool = False, timeout: float | None = 30.0) -> Image:
        """An http(s) image: the URL itself (the LM provider fetches it), or with ``download=True``
        its content fetched now and kept as a data URI (MIME type from ``Content-Type``, else
        guessed from the URL), as ``dspy.Image.from_url`` does."""
        if not _is_url(url, ("http", "https")):
            raise InputError(f"Image.from_url requires an HTTP(S) URL, received: {url!r}")
        if not download:
            return cls(url)
        import base64
        import mimetypes
        import urllib.request

        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) checked above
            content, mime_type = response.read(), response.headers.get("Content-Type", "")
        if not mime_type:
            mime_type, _ = mimetypes.guess_type(url)
            if mime_type is None:
                raise InputError(f"Could not determine MIME type for URL: {url}")
        return cls(f"data:{mime_type};base64,{base64.b64encode(content).decode('utf-8')}")

    def format(self) -> list[dict[str, Any]]:
        """The OpenAI content parts of this image (DSPy's ``Image.format``)."""
        return [{"type": "image_url", "image_url": {"url": self.url}}]

    def marker_text(self) -> str:
        """The image as DSPy writes it into a prompt's text, to be split into content parts."""
        import json

        return f"{CUSTOM_TYPE_START}{json.dumps(self.format(), ensure_ascii=False)}{CUSTOM_TYPE_END}"

    __str__ = marker_text

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Image is frozen; make a new one")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Image) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __repr__(self) -> str:
        if "base64" in self.url:
            length = len(self.url.split("base64,")[1])
            kind = self.url.split(";")[0].split("/")[-1]
            return f"Image(url=data:image/{kind};base64,<IMAGE_BASE_64_ENCODED({length!s})>)"
        return f"Image(url='{self.url}')"


def is_image_type(annotation: Any) -> bool:
    """Whether ``annotation`` is :class:`Image` or DSPy's ``dspy.Image`` (by module and name)."""
    if annotation is Image:
        return True
    return (isinstance(annotation, type) and annotation.__name__ == "Image"
            and getattr(annotation, "__module__", "").startswith("dspy."))
