"""What travels to another process when an executor runs work there: data, never live objects.

A module goes as :class:`ShippedModule`: its backend and module type, the spec and create
options it was made from, and its learned state as the implementation's ``dump_state`` gives
it (the same dict ``save`` writes). The worker rebuilds it with the implementation's
``load_state`` (or ``create``, for a module type that keeps nothing beyond its options), so
the module runs there as it runs here, on any backend the worker has installed. A live
object (an HTTP client, the dspy backend's stored module, a lock) never travels: it would not
work in another process, and pickling one copies whatever it holds.

An LM goes as :class:`ShippedLM`: the model and its public settings. Its credentials (the
``api_key``, header settings, a base URL with ``user:password@``, and the provider's key
variables set in this process) never travel with the work: :func:`ship_settings` returns them
apart, as environment variables for the executor to hand to its workers' environment (Ray's
``runtime_env``), and the worker's :class:`ShippedLM` reads them back from its environment.
A custom LM object (the LM protocol: ``OfflineLM``, a test's recording LM) is the user's own
object, as a metric or a tool is: it travels as the executor serializes Python objects, and an
executor refuses one it cannot serialize before any work starts, naming it. The retriever
setting (``rm``) and module types built on other modules are not shipped.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

from dspex_core._credentials import base_env_names, key_env_names
from dspex_core._lm import LM, SECRET_SETTINGS, is_custom_lm
from dspex_core._module_ref import ModuleRef
from dspex_core.errors import CapabilityError, InputError

#: The prefix of the environment variables that carry an LM's credentials to a worker.
SECRET_ENV_PREFIX = "DSPEX_SHIPPED_SECRET_"
#: The configuration keys a worker is configured with (the rest stay the worker's defaults).
SHIPPED_SETTINGS = ("lm", "adapter", "prefer_native", "allow_fallback", "implementation_overrides",
                    "telemetry_enabled")


class ShippedLM:
    """An :class:`~dspex_core.LM` as data: model, public settings, and the names of the
    environment variables that hold its credentials in the worker."""

    __slots__ = ("model", "settings", "secret_env")

    def __init__(self, model: str, settings: dict[str, Any], secret_env: dict[str, str]):
        self.model = model
        self.settings = settings
        self.secret_env = secret_env

    def build(self, environ: Mapping[str, str] | None = None) -> LM:
        """The LM again, its credentials read from ``environ`` (the worker's environment)."""
        environ = os.environ if environ is None else environ
        secrets = {}
        for setting, name in self.secret_env.items():
            if name not in environ:
                raise InputError(f"the worker's environment has no {name} (the {setting!r} of LM {self.model!r}); "
                                 f"the executor must pass it to its workers' environment")
            secrets[setting] = json.loads(environ[name])
        return LM(self.model, **self.settings, **secrets)

    def __repr__(self) -> str:
        return f"ShippedLM({self.model!r}, secrets from {sorted(self.secret_env.values())})"


class _Secrets:
    """The credentials found while shipping, as environment variables."""

    def __init__(self) -> None:
        self.env: dict[str, str] = {}

    def lm(self, lm: Any, where: str) -> Any:
        if is_custom_lm(lm):  # the user's own object, like a metric: it travels as the executor serializes it
            return lm
        settings = dict(lm.settings)
        secrets = {k: lm.secret(k) for k in SECRET_SETTINGS if lm.secret(k) is not None}
        for key in ("api_base", "base_url"):  # user:password@ in a URL is a credential too
            if isinstance(settings.get(key), str) and "@" in settings[key]:
                secrets[key] = settings.pop(key)
        names = {}
        for setting, value in secrets.items():
            name = f"{SECRET_ENV_PREFIX}{len(self.env)}"
            self.env[name] = json.dumps(value)
            names[setting] = name
        for name in (*key_env_names(lm.provider), *base_env_names(lm.provider)):
            if name in os.environ:  # the key the provider's client would read here, for remote workers
                self.env[name] = os.environ[name]
        return ShippedLM(lm.model, settings, names)


def _ship_value(value: Any, where: str, secrets: _Secrets) -> Any:
    """``value`` with every LM made data; a module reference inside it is refused."""
    if isinstance(value, LM):
        return secrets.lm(value, where)
    if isinstance(value, ModuleRef):
        raise CapabilityError(f"{where} is a module ({value.module_type} on {value.backend}); a module built on "
                              f"another module cannot be sent to another process yet")
    if isinstance(value, (list, tuple)):
        return type(value)(_ship_value(v, f"{where}[{i}]", secrets) for i, v in enumerate(value))
    if isinstance(value, dict):
        return {k: _ship_value(v, f"{where}[{k!r}]", secrets) for k, v in value.items()}
    return value


def _unship_value(value: Any) -> Any:
    if isinstance(value, ShippedLM):
        return value.build()
    if isinstance(value, (list, tuple)):
        return type(value)(_unship_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _unship_value(v) for k, v in value.items()}
    return value


class ShippedModule:
    """A module as data: backend, module type, spec, create options and ``dump_state``."""

    __slots__ = ("backend", "module_type", "spec", "options", "state")

    def __init__(self, backend: str, module_type: str, spec: Any, options: dict[str, Any],
                 state: dict[str, Any] | None):
        self.backend = backend
        self.module_type = module_type
        self.spec = spec
        self.options = options
        self.state = state

    def rebuild(self) -> ModuleRef:
        """The module again, in this process, on the same backend (installed here too)."""
        from dspex_core import registry
        from dspex_core.backend import module_ref
        from dspex_core.errors import BackendNotInstalledError

        reg = registry.lookup(self.backend, self.module_type)
        if reg is None:
            raise BackendNotInstalledError(
                f"this worker has no backend {self.backend!r} serving {self.module_type!r} (installed: "
                f"{', '.join(registry.installed_backends()) or 'none'}); install the same dspex distributions "
                f"on every worker")
        options = _unship_value(self.options)
        if self.state is None:
            state = reg.implementation.create(self.spec, **options)
        else:
            state = reg.implementation.load_state(self.spec, self.state, **options)
        return module_ref(self.backend, self.module_type, state, spec=self.spec, options=options)

    def __repr__(self) -> str:
        return f"ShippedModule({self.backend!r}, {self.module_type!r})"


def ship_module(ref: ModuleRef, where: str, secrets: _Secrets) -> ShippedModule:
    """``ref`` as a :class:`ShippedModule`; refused (naming it) when it cannot be rebuilt elsewhere."""
    options = _ship_value(dict(ref.options), f"{where}'s option", secrets)
    spec = _ship_value(ref.spec, f"{where}'s spec", secrets)
    if ref.has("dump_state") and ref.has("load_state"):
        state = ref.implementation.dump_state(ref.state)
    elif ref.has("dump_state") or ref.has("load_state"):
        raise CapabilityError(f"{where} ({ref.module_type} on backend {ref.backend!r}) cannot be sent to another "
                              f"process: its implementation needs both dump_state and load_state for that")
    else:
        state = None  # nothing learned beyond what create made from spec and options
    return ShippedModule(ref.backend, ref.module_type, spec, options, state)


def ship_settings(settings: Any, secrets: _Secrets) -> dict[str, Any]:
    """The configuration a worker starts from (:data:`SHIPPED_SETTINGS`), as data."""
    out: dict[str, Any] = {}
    for key in SHIPPED_SETTINGS:
        value = getattr(settings, key)
        if key == "lm" and value is not None:
            value = secrets.lm(value, "the configured lm")
        out[key] = value
    return out


def configure_worker(settings: Mapping[str, Any]) -> None:
    """Configure this (worker) process from :func:`ship_settings`' data; work never nests executors."""
    from dspex_core.config import configure

    values = dict(settings)
    if isinstance(values.get("lm"), ShippedLM):
        values["lm"] = values["lm"].build()
    configure(**values, executor="threads")
