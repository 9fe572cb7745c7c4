"""One local Ray instance (2 CPUs) for the whole session, shut down at its end with every process
it started; a local OpenAI-compatible LM server answering as the offline model does.

Ray starts once per session (it takes seconds), so every test shares it; each test gets a clean
dspex configuration. Ray runs offline: the tox env sets ``RAY_USAGE_STATS_ENABLED=0``.
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, settings

import dspex_core as dspex
from dspex_core import config
from dspex_core.testing.server import LocalLMServer

settings.register_profile("ci", max_examples=10, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", max_examples=60, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc), zombies left out."""
    found: set[int] = set()
    parents = {pid}
    changed = True
    while changed:
        changed = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in found:
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[1]) in parents:
                found.add(int(entry))
                parents.add(int(entry))
                changed = True
    return found


@pytest.fixture(scope="session")
def ray_instance():
    import ray

    before = _children(os.getpid())
    ray.init(num_cpus=2, include_dashboard=False)
    yield ray
    ray.shutdown()
    deadline = time.monotonic() + 60  # Ray's processes stop on shutdown; wait for them to go
    left = _children(os.getpid()) - before
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = _children(os.getpid()) - before
    assert not left, f"Ray left processes behind: {sorted(left)}"


@pytest.fixture(scope="session")
def server():
    with LocalLMServer(dspex.OfflineLM()) as running:
        yield running


@pytest.fixture(autouse=True)
def clean_config():
    config.reset()
    yield
    config.reset()


@pytest.fixture
def lm(server):
    """The local server as a described LM (no cache: every call reaches the server)."""
    server.reset()
    return dspex.LM("openai/local", api_base=server.url, cache=False)
