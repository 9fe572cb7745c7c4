"""Throwaway plugin distributions for the reliability tests, installed without pip.

A distribution here is what pip would leave in site-packages: a ``NAME-VERSION.dist-info``
folder (``METADATA`` and ``entry_points.txt`` with a ``[dspex.backends]`` entry) beside the
plugin's package, written into a temporary folder. With that folder on ``sys.path``,
``importlib.metadata`` finds the entry point exactly as it finds an installed plugin's, so the
registry's real discovery loads it; a subprocess sees it through ``PYTHONPATH``. Nothing is
installed into the environment, so nothing outlives the test, and writing a plugin takes
microseconds where a pip install takes seconds.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Iterator

from dspex_core import registry


def write_plugin(root: Path, entry_point: str, source: str, *, version: str = "0.1.0") -> str:
    """Write the distribution ``dspex-rel-<entry_point>`` whose entry point ``entry_point`` is the
    module ``dspex_rel_<entry_point>.plugin`` holding ``source``; returns the package name."""
    package = f"dspex_rel_{entry_point}"
    dist = f"dspex-rel-{entry_point.replace('_', '-')}"
    info = root / f"{package}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[dspex.backends]\n{entry_point} = {package}.plugin\n")
    (root / package).mkdir()
    (root / package / "__init__.py").write_text("")
    (root / package / "plugin.py").write_text(textwrap.dedent(source).lstrip())
    return package


def forget(package: str) -> None:
    """Drop ``package`` and its submodules from ``sys.modules`` (the next import runs it again)."""
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


@contextlib.contextmanager
def on_path(root: Path) -> Iterator[Path]:
    """``root`` on ``sys.path`` (first) for the block; the registry is rebuilt after it, without
    the plugins found there."""
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for package in [p.name for p in root.iterdir() if p.is_dir() and not p.name.endswith(".dist-info")]:
            forget(package)
        importlib.invalidate_caches()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            registry.refresh()


def subprocess_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``dspex`` subprocess that sees the plugins under ``root``: no
    ``DSPEX_*`` or provider key from the caller, the example plugin hidden as the suite does."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DSPEX_") and not k.endswith("_API_KEY") and not k.endswith("_API_BASE")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    env["DSPEX_DISABLE_PLUGINS"] = "example"
    env.update(extra)
    return env
