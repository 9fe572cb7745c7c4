"""Starting or joining Ray, bounded in time.

``ray.init`` waits for a cluster that does not answer for minutes, retrying (a GCS address) or
reconnecting (a ``ray://`` address). Before it is called for an address with a host and port,
that port is tried with a plain TCP connection for at most ``connect_timeout`` seconds; a
cluster that is down, or an address with a typo, is then a
:class:`~dspex_ray.RayUnavailableError` naming the address, not a hang. An error Ray itself
raises (no local Ray for ``"auto"``, Ray unable to start) is reported the same way. A Ray this
process already started or joined is used as it is. ``ray.init`` runs in the caller's thread:
Ray's driver connection belongs to the thread that made it.
"""

from __future__ import annotations

import socket
from typing import Any, Mapping

from dspex_ray._errors import RayUnavailableError


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``"ray://host:port"`` or ``"host:port"``; ``None`` for ``"auto"`` and the like."""
    rest = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout: float) -> None:
    """Raise :class:`RayUnavailableError` when ``address``'s port does not accept a connection in time."""
    target = _host_port(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=timeout):
            pass
    except OSError as exc:
        raise RayUnavailableError(f"cannot reach the Ray cluster at {address!r} within connect_timeout="
                                  f"{timeout:g} s: {type(exc).__name__}: {exc}") from None


def connect(address: str | None, num_cpus: int | None, init_options: Mapping[str, Any], timeout: float) -> Any:
    """The ``ray`` module, initialised (started locally when ``address`` is ``None``)."""
    import ray

    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": True, **init_options}
    if address is not None:
        check_reachable(address, timeout)
        kwargs["address"] = address
    if num_cpus is not None:
        kwargs["num_cpus"] = num_cpus
    where = f"at {address!r}" if address else "locally"
    try:
        ray.init(**kwargs)
    except Exception as exc:  # noqa: BLE001 - whatever stopped Ray, said in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise RayUnavailableError(f"cannot start or connect to Ray {where}: {type(exc).__name__}: {first}") from exc
    return ray
