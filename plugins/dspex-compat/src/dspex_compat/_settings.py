"""DSPy's settings: ``dspy.configure`` (process-wide, by one owner thread) and ``dspy.context``
(overrides for a block, per thread and task), read as ``dspy.settings.lm`` and so on.

The layer's predictors read ``lm`` and ``adapter`` from here and hand them to dspex with each
call; ``callbacks`` are also given to dspex (``dspex.configure``/``dspex.context``), so native
fires DSPy's callback methods on them as dspy does.
"""

from __future__ import annotations

import contextvars
import copy
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import dspex_core

from dspex_compat._dotdict import dotdict

__all__ = ["DEFAULT_CONFIG", "Settings", "settings", "configure", "context", "setting", "caller_modules"]

DEFAULT_CONFIG = dotdict(
    lm=None,
    adapter=None,
    rm=None,
    branch_idx=0,
    trace=[],
    callbacks=[],
    async_max_workers=8,
    send_stream=None,
    disable_history=False,
    track_usage=False,
    usage_tracker=None,
    caller_predict=None,
    caller_modules=None,
    stream_listeners=[],
    provide_traceback=False,
    num_threads=8,
    max_errors=10,
    allow_tool_async_sync_conversion=False,
    max_history_size=10000,
    max_trace_size=10000,
    warn_on_type_mismatch=True,
    interpreter_factory=None,
)

main_thread_config = copy.deepcopy(DEFAULT_CONFIG)
_owner = {"thread": None, "task": None}
global_lock = threading.Lock()
thread_local_overrides: contextvars.ContextVar[dotdict] = contextvars.ContextVar("context_overrides",
                                                                                   default=dotdict())
#: The modules whose calls are under way here, outermost first (``settings.caller_modules``): kept
#: apart from the overrides because every module call changes it, and copying every setting per
#: call (what ``context`` does) would cost more than the call.
caller_modules: contextvars.ContextVar[tuple] = contextvars.ContextVar("caller_modules", default=())
#: The keys dspex itself reads (callbacks fire inside native modules).
_SHARED = ("callbacks",)


class Settings:
    """The ``dspy.settings`` singleton."""

    _instance: "Settings | None" = None

    def __new__(cls) -> "Settings":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @property
    def lock(self) -> threading.Lock:
        return global_lock

    def __getattr__(self, name: str) -> Any:
        if name == "caller_modules":
            callers = caller_modules.get()
            if callers:
                return list(callers)
        overrides = thread_local_overrides.get()
        if name in overrides:
            return overrides[name]
        if name in main_thread_config:
            return main_thread_config[name]
        raise AttributeError(f"'Settings' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_instance":
            super().__setattr__(name, value)
        else:
            self.configure(**{name: value})

    def __getitem__(self, key: str) -> Any:
        return self.__getattr__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.__setattr__(key, value)

    def __contains__(self, key: str) -> bool:
        return key in thread_local_overrides.get() or key in main_thread_config

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except AttributeError:
            return default

    def copy(self) -> dotdict:
        return dotdict({**main_thread_config, **thread_local_overrides.get()})

    @property
    def config(self) -> dotdict:
        return self.copy()

    def _ensure_configure_allowed(self) -> None:
        current = threading.get_ident()
        if _owner["thread"] is None:
            _owner["thread"] = current
        if _owner["thread"] != current:
            raise RuntimeError("dspy.settings can only be changed by the thread that initially configured it.")
        asyncio = sys.modules.get("asyncio")  # not imported: no task is running (and no import at start-up)
        try:
            task = asyncio.current_task() if asyncio is not None else None
        except RuntimeError:
            task = None
        if task is None:
            return
        if _owner["task"] is None:
            _owner["task"] = task
            return
        if _owner["task"] is not task:
            raise RuntimeError(
                "dspy.configure(...) can only be called from the same async task that called it first. Please "
                "use `dspy.context(...)` in other async tasks instead."
            )

    def configure(self, **kwargs: Any) -> None:
        """Set process-wide defaults (``lm``, ``adapter``, ``callbacks``, ``track_usage``, ...)."""
        self._ensure_configure_allowed()
        for key, value in kwargs.items():
            main_thread_config[key] = value
        shared = {k: _for_dspex(k, v) for k, v in kwargs.items() if k in _SHARED}
        if shared:
            dspex_core.configure(**shared)

    @contextmanager
    def context(self, **kwargs: Any) -> Iterator[None]:
        """Override settings inside a ``with`` block (any thread or task)."""
        original = thread_local_overrides.get().copy()
        token = thread_local_overrides.set(dotdict({**main_thread_config, **original, **kwargs}))
        shared = {k: _for_dspex(k, v) for k, v in kwargs.items() if k in _SHARED}
        try:
            if shared:
                with dspex_core.context(**shared):
                    yield
            else:
                yield
        finally:
            thread_local_overrides.reset(token)

    def __repr__(self) -> str:
        return repr({**main_thread_config, **thread_local_overrides.get()})


def _for_dspex(key: str, value: Any) -> Any:
    if key == "callbacks":  # the layer's modules fire their own module events
        from dspex_compat._dspex_callbacks import for_dspex

        return for_dspex(value)
    return value


def setting(name: str) -> Any:
    """One setting, read the way ``settings.<name>`` reads it, for the layer's per-call paths (a
    third of the attribute lookup's cost)."""
    overrides = thread_local_overrides.get()
    if name in overrides:
        return overrides[name]
    return main_thread_config.get(name)


settings = Settings()
configure = settings.configure
context = settings.context
