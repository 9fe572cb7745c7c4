"""The hooks a dspex backend plugin may implement.

A plugin is a module named by a ``dspex.backends`` entry point; it marks functions with
``@dspex_core.hookimpl``. Every hook here is called when the registry is built (at first
use and on ``registry.refresh()``) or at a session boundary, never per LM call, so plugins
cost nothing on the hot path.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("dspex")
hookimpl = pluggy.HookimplMarker("dspex")


@hookspec
def dspex_register_implementations(register: Callable[..., None]) -> None:
    """Register the module types this plugin serves.

    Call ``register(module_type, implementation, backend=NAME, native=BOOL, priority=INT)``
    once per module type. ``implementation`` meets the contract of
    :class:`dspex_core.backend.Implementation` (``create``/``execute``, optionally the async
    twins, ``describe``, ``save``, ``dump_state``, ``load_state``, ``compile``, ``unwrap`` and a
    ``not_implemented`` list); ``register`` checks it and rejects a wrong one with an error
    naming the method. Higher ``priority`` wins among backends of the same kind;
    ``native=True`` marks an in-process implementation that ``prefer_native`` favours.
    """


@hookspec
def dspex_session_start(session: Any) -> None:
    """A ``dspex.session()`` block begins; ``session.id`` names it.

    Backends that keep state per session (stored modules, worker processes) set it up here
    or lazily on first use.
    """


@hookspec
def dspex_session_end(session: Any) -> None:
    """A session ends (also when its block raised): free everything it owns.

    Module references made in the session are unusable afterwards, and a backend should say
    so clearly when one is used.
    """


@hookspec
def dspex_attach_telemetry(attach: Callable[..., Any]) -> None:
    """Attach telemetry handlers: call ``attach(event, handler)`` for each.

    ``handler(event, measurements, metadata)`` is then called for every matching event (see
    :mod:`dspex_core.telemetry` for the events). Handlers attached here are detached again
    when the registry is refreshed.
    """


@hookspec
def dspex_register_executors(register: Callable[..., None]) -> None:
    """Register executors that run many calls: ``register(name, factory)``.

    ``factory(**executor_options)`` returns the executor, made when it is first used with those
    options (an executor object itself is accepted when it takes no options). An executor has
    ``map(fn, items, *, max_workers=None, on_result=None) -> list`` (results in input order;
    exceptions are returned, not raised, as ``ExecutorFailure``) and may have ``amap`` and
    ``run(work, items, ...)``, which may send the work (data: a module's saved state) to other
    processes; the contract is :mod:`dspex_core.executors`. dspex ships ``"threads"`` and
    ``"asyncio"``; ``dspex-ray`` adds ``"ray"``; ``configure(executor=name,
    executor_options={...})`` or ``executor=`` on a call chooses one; ``dspex executors`` lists them.
    """


@hookspec
def dspex_register_callbacks(register: Callable[[Any], None]) -> None:
    """Install callbacks for the whole process: call ``register(callback)`` for each.

    A callback is an object with DSPy's ``BaseCallback`` methods (``on_module_start``,
    ``on_lm_end``, ...; see :mod:`dspex_core.callbacks`). Callbacks registered here are told about
    every call, on both backends, as if they were in ``dspex.configure(callbacks=[...])`` (they
    come first, before the configured ones), and are removed again when the registry is refreshed.
    This is how an observability plugin (``dspex-otel``) starts listening just by being installed.
    A process where no plugin registers a callback pays nothing for this hook on its calls.
    """
