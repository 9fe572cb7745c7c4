"""Finding and loading backend plugins from the ``dspex.backends`` entry-point group.

Each entry point is loaded on its own: a plugin that fails to import is recorded as a
:class:`PluginInfo` with its error (and a warning), and the others load as usual.
``DSPEX_DISABLE_PLUGINS=a,b`` skips entry points by name. When an installed plugin's version
changed since it was last imported (an upgrade while the process runs), its modules are
dropped from ``sys.modules`` first so that the new code is what gets imported.

Whatever a plugin's import raises makes it a broken plugin, ``SystemExit`` (a ``sys.exit()`` in
its module) included: one plugin must not end every dspex program, with no message, before it
starts. ``KeyboardInterrupt`` is the exception: a Ctrl-C the user pressed while the plugins load
stops the program as always; only one the plugin's own code raised is recorded as its failure
(:func:`contained` and :mod:`dspex_core._interrupts` tell them apart).

Entry points are read with the standard library's :mod:`importlib.metadata`: on every Python
dspex supports (3.10 to 3.13) its ``entry_points(group=...)`` and ``EntryPoint.dist`` behave
alike (distributions found twice on ``sys.path`` are reported once), so the
``importlib-metadata`` backport would add an import and change nothing.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Any

import attrs

from dspex_core._interrupts import InterruptWatch

ENTRY_POINT_GROUP = "dspex.backends"
DISABLE_ENV = "DSPEX_DISABLE_PLUGINS"


@attrs.define
class PluginInfo:
    """One entry point: where it comes from, which hooks it implements, and its error if any."""

    name: str
    module: str
    distribution: str
    version: str
    obj: Any = attrs.field(default=None, repr=False)
    error: str | None = None
    hooks: list[str] = attrs.Factory(list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "distribution": self.distribution,
                "version": self.version, "hooks": list(self.hooks), "error": self.error}

    def __repr__(self) -> str:
        status = f" error={self.error!r}" if self.error else ""
        return f"PluginInfo({self.name!r}, {self.distribution} {self.version}{status})"


def disabled_plugins() -> frozenset[str]:
    """Entry-point names listed in ``DSPEX_DISABLE_PLUGINS``."""
    raw = os.environ.get(DISABLE_ENV, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def describe_error(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame, short enough for a table cell."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    if isinstance(exc, SystemExit):  # str() of sys.exit() is empty: say what happened
        return f"SystemExit: the plugin called sys.exit({exc.code!r}){where}"
    if isinstance(exc, KeyboardInterrupt):
        return f"KeyboardInterrupt raised by the plugin's code{f': {exc}' if str(exc) else ''}{where}"
    return f"{type(exc).__name__}: {exc}{where}"


def contained(exc: BaseException, watch: InterruptWatch) -> bool:
    """Whether ``exc``, raised by a plugin's code, is recorded as that plugin's failure (``True``)
    or must propagate (``False``: a ``KeyboardInterrupt`` the user may have pressed).

    ``SystemExit``, ``GeneratorExit`` and any other ``BaseException`` from a plugin are its
    failure; ``watch`` is the :class:`~dspex_core._interrupts.InterruptWatch` open around the call.
    """
    return not isinstance(exc, KeyboardInterrupt) or not watch.pressed(exc)


_loaded_versions: dict[str, str] = {}


def discover(watch: InterruptWatch | None = None) -> list[PluginInfo]:
    """Import every enabled ``dspex.backends`` entry point; never raises for a bad plugin (only
    for a Ctrl-C the user pressed meanwhile). ``watch``: the caller's open interrupt watch."""
    if watch is None:
        with InterruptWatch() as own:
            return discover(own)
    from importlib import metadata

    importlib.invalidate_caches()
    disabled = disabled_plugins()
    found: list[PluginInfo] = []
    seen: set[str] = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in disabled or ep.name in seen:
            continue
        seen.add(ep.name)
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else "?"
        version = dist.version if dist is not None else "?"
        info = PluginInfo(ep.name, ep.value, dist_name, version)
        previous = _loaded_versions.get(ep.name)
        if previous is not None and previous != version:
            _forget_modules(ep.module)
        try:
            info.obj = ep.load()
            _loaded_versions[ep.name] = version
        except BaseException as exc:  # noqa: BLE001 - a plugin may fail in any way, sys.exit() included
            if not contained(exc, watch):
                raise
            info.error = f"failed to import: {describe_error(exc)}"
            warnings.warn(f"dspex plugin {ep.name!r} ({dist_name} {version}) {info.error}", RuntimeWarning,
                          stacklevel=2)
        found.append(info)
    return found


def _forget_modules(module: str) -> None:
    top = module.split(".", 1)[0]
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]
