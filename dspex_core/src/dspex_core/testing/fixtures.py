"""pytest fixtures for the dspex testing kit.

Use them from a ``conftest.py`` with ``pytest_plugins = ["dspex_core.testing.fixtures"]`` or
``from dspex_core.testing.fixtures import local_lm_server, local_lm_server_factory``.

* ``local_lm_server``: a started :class:`~dspex_core.testing.server.LocalLMServer` with the
  default reply, stopped after the test;
* ``local_lm_server_factory``: ``make(responder=None, **options) -> LocalLMServer``, started
  and stopped after the test, for tests that need their own replies or latency.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from dspex_core.testing.server import LocalLMServer


@pytest.fixture
def local_lm_server() -> Iterator[LocalLMServer]:
    with LocalLMServer() as server:
        yield server


@pytest.fixture
def local_lm_server_factory() -> Iterator[Callable[..., LocalLMServer]]:
    servers: list[LocalLMServer] = []

    def make(responder: Any = None, **options: Any) -> LocalLMServer:
        server = LocalLMServer(responder, **options).start()
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()
