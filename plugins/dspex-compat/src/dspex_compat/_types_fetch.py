"""Reading a resource the program asked for explicitly (``Image.from_url``, ``Audio.from_path``, ...).

Construction of a type never reads files or the network: only these factories do, and only when
a program calls them. Downloads go through ``requests`` (DSPy's client), imported when a download
happens.
"""

import base64
import mimetypes
import os
from typing import Any
from urllib.parse import urlparse

__all__ = ["is_url", "is_http_url", "download", "read_file", "data_uri"]


def is_url(text: str, schemes: tuple[str, ...] = ("http", "https", "gs")) -> bool:
    """A URL with one of ``schemes`` and a host."""
    try:
        parsed = urlparse(text)
    except ValueError:
        return False
    return parsed.scheme in schemes and bool(parsed.netloc)


def is_http_url(text: str) -> bool:
    return is_url(text, ("http", "https"))


def download(url: str, verify: bool = True, timeout: float | None = 30.0) -> Any:
    """The response of a GET of ``url`` (raised for an error status)."""
    import requests

    response = requests.get(url, verify=verify, timeout=timeout)
    response.raise_for_status()
    return response


def read_file(path: str) -> bytes:
    if not os.path.isfile(path):
        raise ValueError(f"File not found: {path}")
    with open(path, "rb") as file:
        return file.read()


def data_uri(content: bytes, mime_type: str) -> str:
    return f"data:{mime_type};base64,{base64.b64encode(content).decode('utf-8')}"


def guess_mime(name: str) -> str | None:
    return mimetypes.guess_type(name)[0]
