"""Configuration: the routing and LM keys, from four sources, with one documented precedence.

From strongest to weakest:

1. ``with dspex.context(**settings):`` blocks (thread- and asyncio-task-local, nestable);
2. ``dspex.configure(**settings)`` (process-wide);
3. ``DSPEX_*`` environment variables (``DSPEX_PREFER_NATIVE=0``, ``DSPEX_LM=openai/gpt-4o-mini`` or a
   JSON object with settings, ``DSPEX_IMPLEMENTATION_OVERRIDES=predict=native,react=dspy`` or JSON, ...);
4. ``[tool.dspex]`` in the nearest ``pyproject.toml`` above the working directory;
5. the defaults below.

Environment and ``pyproject.toml`` are read once, lazily, and again after :func:`reset`.
:func:`settings` returns an immutable :class:`Settings`; every distinct settings object
carries a new ``generation`` number, which is what the router's decision cache keys on.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Iterator, Mapping

if TYPE_CHECKING:
    from pathlib import Path

from dspex_core._timeout_profiles import DEFAULT_PROFILES, check_profiles
from dspex_core.errors import ConfigError

#: The default of every key.
DEFAULTS: dict[str, Any] = {
    "lm": None,
    "rm": None,
    "prefer_native": True,
    "allow_fallback": True,
    "implementation_overrides": {},
    "implementation_cache": True,
    "telemetry_enabled": True,
    "adapter": None,
    "executor": "threads",
    "executor_options": {},
    "timeout_profiles": DEFAULT_PROFILES,
    "callbacks": (),
    "prices": {},
}

#: Keys only code can set (objects, not text): never read from the environment.
_CODE_ONLY_KEYS = frozenset({"rm", "callbacks"})
#: Whether any ``callbacks`` setting was ever non-empty: while not, :func:`dspex_core.callbacks.active`
#: answers without reading the settings (the one check a call pays when no one listens).
_callbacks_seen = False

_BOOL_KEYS = frozenset({"prefer_native", "allow_fallback", "implementation_cache", "telemetry_enabled"})
_ALIASES = {"python": "dspy"}
_generation = itertools.count(1)


class Settings:
    """One immutable snapshot of the effective configuration."""

    __slots__ = (*DEFAULTS, "generation")

    def __init__(self, values: Mapping[str, Any]):
        for key in DEFAULTS:
            object.__setattr__(self, key, values[key])
        object.__setattr__(self, "generation", next(_generation))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Settings are immutable; use dspex.configure() or dspex.context()")

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in DEFAULTS}

    def replace(self, **changes: Any) -> "Settings":
        return Settings({**self.as_dict(), **_validate(changes, source="context")})

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in DEFAULTS) + ")"


def normalize_backend(name: str) -> str:
    """``"python"`` is accepted as another name for the dspy backend (the Python implementation
    beside the native one)."""
    return _ALIASES.get(name, name)


def _parse_bool(value: Any, key: str, source: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
    raise ConfigError(f"{key} ({source}) must be true or false, got {value!r}")


def _parse_overrides(value: Any, source: str) -> dict[str, str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            import json

            try:
                value = json.loads(text)
            except ValueError as exc:
                raise ConfigError(f"implementation_overrides ({source}) is not valid JSON: {exc}") from None
        else:
            pairs = {}
            for item in filter(None, (p.strip() for p in text.split(","))):
                if "=" not in item:
                    raise ConfigError(
                        f"implementation_overrides ({source}): {item!r} should be module_type=backend"
                    )
                key, _, backend = item.partition("=")
                pairs[key.strip()] = backend.strip()
            value = pairs
    if not isinstance(value, Mapping):
        raise ConfigError(f"implementation_overrides ({source}) must map module types to backends, got {value!r}")
    out = {}
    for key, backend in value.items():
        if not isinstance(key, str) or not isinstance(backend, str):
            raise ConfigError(f"implementation_overrides ({source}): {key!r}: {backend!r} must be strings")
        out[key.lstrip(":")] = normalize_backend(backend.lstrip(":"))
    return out


#: The model string that names the embedded offline LM (``DSPEX_LM=dspex/offline``, ``--lm
#: dspex/offline``): the way to force it while ``OPENAI_API_KEY`` or another LM is configured.
OFFLINE_MODEL = "dspex/offline"


def _offline_lm(source: str) -> Any:
    from dspex_core._offline_lm import OfflineLM

    return OfflineLM()


def _parse_lm(value: Any, source: str) -> Any:
    from dspex_core._lm import LM

    if value is None or isinstance(value, LM):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):  # DSPEX_LM='{"model": ..., "temperature": 0}'
        import json

        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ConfigError(f"lm ({source}) is not valid JSON: {exc}") from None
    if isinstance(value, str) and value.strip() == OFFLINE_MODEL:
        return _offline_lm(source)
    if isinstance(value, str):
        return LM(value)
    if isinstance(value, Mapping):
        settings = dict(value)
        if "model" not in settings:
            raise ConfigError(f"lm ({source}) needs a 'model' key")
        if settings["model"] == OFFLINE_MODEL:
            if len(settings) > 1:
                raise ConfigError(f"lm ({source}): the offline LM ({OFFLINE_MODEL}) takes no settings, got "
                                  f"{sorted(k for k in settings if k != 'model')}")
            return _offline_lm(source)
        return LM(settings.pop("model"), **settings)
    if callable(value):
        return value
    raise ConfigError(f"lm ({source}) must be dspex.LM, a model string or an object implementing the LM protocol")


def _parse_executor_options(value: Any, source: str) -> dict[str, Any]:
    """Options for the executor's factory: a mapping, or JSON text (``DSPEX_EXECUTOR_OPTIONS``)."""
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError as exc:
            raise ConfigError(f"executor_options ({source}) is not valid JSON: {exc}") from None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"executor_options ({source}) must map option names to values, e.g. "
                          f'{{"address": "ray://head:10001"}}, got {value!r}')
    return dict(value)


def _parse_callbacks(value: Any, source: str) -> tuple[Any, ...]:
    """A list of callback objects (DSPy's ``BaseCallback`` methods, duck-typed)."""
    global _callbacks_seen
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"callbacks ({source}) must be a list of callback objects (with DSPy's BaseCallback "
                          f"methods, e.g. on_module_start), got {type(value).__name__}")
    for item in value:
        if item is None or isinstance(item, (str, bytes, int, float, Mapping, list, tuple)):
            raise ConfigError(f"callbacks ({source}): {item!r} is not a callback object (it should have DSPy's "
                              f"BaseCallback methods, e.g. on_lm_start)")
    if value:
        _callbacks_seen = True
    return tuple(value)


def _parse_prices(value: Any, source: str) -> dict[str, tuple]:
    """``{model: (usd per 1M input tokens, usd per 1M output tokens)}``."""
    from dspex_core._prices import check_prices

    return check_prices(value, f"prices ({source})")


def _validate(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in DEFAULTS:
            raise ConfigError(f"unknown configuration key {key!r} ({source}); known keys: {', '.join(DEFAULTS)}")
        if key in _BOOL_KEYS:
            value = _parse_bool(value, key, source)
        elif key == "implementation_overrides":
            value = _parse_overrides(value, source)
        elif key == "lm":
            value = _parse_lm(value, source)
        elif key == "executor" and not isinstance(value, str):
            raise ConfigError(f"executor ({source}) must be the name of a registered executor")
        elif key == "executor_options":
            value = _parse_executor_options(value, source)
        elif key == "timeout_profiles":
            value = check_profiles(value, source)
        elif key == "callbacks":
            value = _parse_callbacks(value, source)
        elif key == "prices":
            value = _parse_prices(value, source)
        out[key] = value
    return out


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values = {}
    for key in DEFAULTS:
        raw = environ.get(f"DSPEX_{key.upper()}")
        if raw is not None and key not in _CODE_ONLY_KEYS:
            values[key] = raw
    return _validate(values, source="environment")


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (the working directory)."""
    from pathlib import Path

    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _from_pyproject(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the same parser, as a dependency on 3.10 (dspex-core's tomli marker)
        import tomli as tomllib

    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read [tool.dspex] from {path}: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("dspex", {}) if isinstance(tool, dict) else {}  # a non-table [tool] is no one's dspex settings
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.dspex] in {path} must be a table of settings (key = value lines under "
                          f"[tool.dspex]), got a {type(table).__name__}: {table!r}")
    return _validate(table, source=str(path))


class _Context:
    """One ``context()`` block: its overrides (merged with the enclosing blocks') and the
    settings they give on top of the global settings they were last computed from."""

    __slots__ = ("overrides", "pair")

    def __init__(self, overrides: dict[str, Any]):
        self.overrides = overrides
        self.pair: tuple[Settings, Settings] | None = None


_lock = threading.RLock()
_configured: dict[str, Any] = {}
_base: dict[str, Any] | None = None
_global: Settings | None = None
_context: contextvars.ContextVar[_Context | None] = contextvars.ContextVar("dspex_settings", default=None)


def _global_settings() -> Settings:
    global _global, _base
    with _lock:
        if _global is None:
            if _base is None:
                _base = {**DEFAULTS, **_from_pyproject(find_pyproject()), **_from_environment(os.environ)}
            _global = Settings({**_base, **_configured})
        return _global


def settings() -> Settings:
    """The settings in force here: the innermost ``context`` block over the global settings.

    A key a ``context`` block does not set follows the global settings, also when
    ``configure()`` changes them while the block runs.
    """
    current = _context.get()
    base = _global or _global_settings()
    if current is None:
        return base
    pair = current.pair
    if pair is None or pair[0] is not base:
        pair = current.pair = (base, Settings({**base.as_dict(), **current.overrides}))
    return pair[1]


def configure(**values: Any) -> Settings:
    """Set process-wide settings; returns the new effective global settings."""
    global _global
    checked = _validate(values, source="configure()")
    with _lock:
        _configured.update(checked)
        _global = None
        return _global_settings()


@contextlib.contextmanager
def context(**values: Any) -> Iterator[Settings]:
    """Override settings inside a ``with`` block, for this thread or asyncio task only.

    Blocks nest (the inner one wins), and asyncio tasks and ``contextvars.copy_context()``
    copies started inside a block inherit it.
    """
    checked = _validate(values, source="context()")
    outer = _context.get()
    token = _context.set(_Context({**(outer.overrides if outer is not None else {}), **checked}))
    try:
        yield settings()
    finally:
        _context.reset(token)


def reset() -> None:
    """Forget ``configure()`` calls and re-read the environment and ``pyproject.toml`` (tests use it)."""
    global _global, _base
    with _lock:
        _configured.clear()
        _base = None
        _global = None


def current_lm() -> Any:
    """The configured LM (an :class:`~dspex_core.LM` or a custom LM object), or ``None``."""
    return settings().lm
