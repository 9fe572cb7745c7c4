"""The ray executor's own error: a Ray that cannot start or be reached."""

from __future__ import annotations

from dspex_core.errors import DspexError


class RayUnavailableError(DspexError, ConnectionError):
    """Ray could not be started, or the cluster at ``address`` could not be reached in time.

    Raised before any work starts, naming the address and the time waited, so that a cluster
    that is down is an error, not a hang.
    """
