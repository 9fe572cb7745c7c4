"""The rules of the ``colbert_v2`` module type (DSPy's ``ColBERTv2`` client), one copy for every
backend: the server URL it is created with, and DSPy's limit on ``k`` for GET requests.

DSPy builds ``f"{url}:{port}"`` when a port is given and asserts ``k <= 100`` on the GET form
only. A URL that is not ``http(s)://`` with a host, a port outside 1-65535 or a GET request for
more than 100 passages is an :class:`~dspex_core.errors.InputError` before anything is sent,
with the same words whichever backend serves the module, and never with the URL's credentials.
Backends use this module as ``dspex_core.backend.colbert_rules``.
"""

from __future__ import annotations

from typing import Any

from dspex_core._redact import strip_credentials
from dspex_core.errors import InputError

#: DSPy's limit on the GET form (``assert k <= 100`` in ``colbertv2_get_request_v2``).
MAX_GET_K = 100
GET_K_MESSAGE = "Only k <= 100 is supported for the hosted ColBERTv2 server at the moment."


def server_url(url: Any, port: Any = None) -> str:
    """DSPy's ``ColBERTv2(url, port).url`` (``f"{url}:{port}"`` when a port is given), checked:
    an ``http(s)://`` URL with a host, and a port from 1 to 65535."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InputError(f"colbert_v2 needs url= (the server's http(s) URL), got {strip_credentials(str(url))!r}")
    if port:  # DSPy appends it when truthy
        number = port if isinstance(port, int) and not isinstance(port, bool) else (
            int(port) if isinstance(port, str) and port.isascii() and port.isdigit() else None)
        if number is None or not 0 < number < 65536:
            raise InputError(f"colbert_v2 port= must be a port number (1 to 65535), got {port!r}")
        url = f"{url}:{port}"
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise InputError(f"colbert_v2 url= is not a valid URL ({exc}): {strip_credentials(url)!r}") from None
    if not host:
        raise InputError(f"colbert_v2 url= has no host: {strip_credentials(url)!r}")
    return url


def check_k(k: int, post_requests: bool) -> None:
    """DSPy's ``assert k <= 100`` on the GET form, as an input error before any request."""
    if not post_requests and k > MAX_GET_K:
        raise InputError(f"colbert_v2 k={k}: {GET_K_MESSAGE} (DSPy asserts k <= 100 on GET requests; "
                         f"post_requests=True has no such limit)")
