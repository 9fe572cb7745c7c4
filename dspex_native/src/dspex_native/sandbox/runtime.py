"""Where the sandbox's runtime is and how Deno is started: the binary, its cache, Pyodide's
files, the permissions and the environment.

Deno comes from the ``deno`` distribution on PyPI (the ``dspex-native[sandbox]`` extra), else
from ``PATH``; it must be 2.x, as DSPy requires. Pyodide is the npm package ``runner.js``
imports, which Deno keeps in its cache (``DENO_DIR``, else ``deno info``'s ``denoDir``) after
``python -m dspex_native.sandbox`` downloaded it; a sandbox never downloads anything
(``--cached-only``). Its permissions are read access to Pyodide's package folder and nothing
else (``runner.js`` revokes even that once Pyodide is loaded), and its environment holds only
what Deno itself needs: no variable of the host reaches the process, so no key can leak in. A
session's runtime carries its limits (``dspex_core.backend.sandbox_limits``): the memory limit
is V8 flags on the command line, the time limit is enforced by the session that runs code.

Problems are :class:`SandboxUnavailable`, a :class:`~dspex_core.errors.CapabilityError` whose
message says what to install or run.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

from dspex_core.backend import sandbox_limits
from dspex_core.errors import CapabilityError

RUNNER = Path(__file__).with_name("runner.js")
INSTALL = 'pip install "dspex-native[sandbox]", then python -m dspex_native.sandbox'
INSTALL_HINT = (f"to install it: {INSTALL} (Deno then downloads Pyodide from the npm registry into its cache, "
                "DENO_DIR, once; later runs are offline). Behind a TLS-intercepting proxy set "
                "DENO_TLS_CA_STORE=system so that Deno trusts the system's certificates")
SUPPORTED_DENO = (2, 3)  # >= 2.0, < 3.0, as DSPy's PythonInterpreter requires
PROBE_TIMEOUT = 20.0

#: Deno's own settings, passed through at install time only (downloading Pyodide may need a
#: proxy, certificates or another npm registry); a running sandbox gets none of the host's variables.
_INSTALL_ENV = ("DENO_TLS_CA_STORE", "DENO_CERT", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY",
                "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "NPM_CONFIG_REGISTRY", "npm_config_registry")
_SYSTEM_ENV = ("SYSTEMROOT", "SystemRoot")  # Windows cannot start a process without it


class SandboxUnavailable(CapabilityError):
    """The sandbox cannot run here (no Deno, a wrong version, Pyodide not installed); the
    message says what to do."""


@functools.cache
def pyodide_version() -> str:
    """The Pyodide version ``runner.js`` imports (``npm:pyodide@<version>``): one place says it."""
    match = re.search(r'from "npm:pyodide@([0-9][^"/]*)"', RUNNER.read_text(encoding="utf-8"))
    if match is None:  # pragma: no cover - the packaged runner always has it
        raise SandboxUnavailable(f"{RUNNER} does not import npm:pyodide@<version>; the package is damaged")
    return match.group(1)


def deno_binary() -> str:
    """The Deno executable: the ``deno`` distribution's, else one on ``PATH``."""
    try:
        from deno import find_deno_bin
    except ImportError:
        found = shutil.which("deno")
    else:
        try:
            found = find_deno_bin()
        except (FileNotFoundError, OSError):
            found = shutil.which("deno")
    if not found:
        raise SandboxUnavailable(f"the sandbox runs in Deno, which is not installed; {INSTALL_HINT}")
    check_version(found)
    return found


@functools.cache
def _version_of(binary: str) -> tuple[int, ...] | str:
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=PROBE_TIMEOUT,
                              env=base_env(), check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    match = re.match(r"deno (\d+)\.(\d+)\.(\d+)", done.stdout)
    if done.returncode != 0 or match is None:
        return (done.stderr or done.stdout).strip()[:300] or f"exit code {done.returncode}"
    return tuple(int(part) for part in match.groups())


def check_version(binary: str) -> None:
    version = _version_of(binary)
    if isinstance(version, str):
        raise SandboxUnavailable(f"the Deno at {binary} does not run ({version}); {INSTALL_HINT}")
    if not SUPPORTED_DENO[0] <= version[0] < SUPPORTED_DENO[1]:
        raise SandboxUnavailable(f"the sandbox needs Deno 2.x and {binary} is "
                                 f"{'.'.join(map(str, version))}; {INSTALL_HINT}")


def deno_dir(binary: str) -> Path:
    """Deno's cache folder: ``DENO_DIR`` when set, else the one ``deno info`` reports."""
    configured = os.environ.get("DENO_DIR")
    if configured:
        return Path(os.path.realpath(os.path.expanduser(configured)))
    found = _default_deno_dir(binary)
    if found is None:
        raise SandboxUnavailable(f"cannot tell where Deno ({binary}) keeps its cache; set DENO_DIR and run "
                                 "python -m dspex_native.sandbox")
    return Path(os.path.realpath(found))


@functools.cache
def _default_deno_dir(binary: str) -> str | None:
    import json

    env = base_env()
    for key in ("HOME", "XDG_CACHE_HOME", "LOCALAPPDATA", "USERPROFILE"):  # where Deno's default cache is
        if key in os.environ:
            env[key] = os.environ[key]
    try:
        done = subprocess.run([binary, "info", "--json"], capture_output=True, text=True, timeout=PROBE_TIMEOUT,
                              env=env, check=False)
        return json.loads(done.stdout).get("denoDir") if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError, AttributeError):
        return None


def pyodide_folders(cache: Path) -> list[str]:
    """Pyodide's package folder(s) in Deno's npm cache (one per npm registry it came from)."""
    version = pyodide_version()
    found = sorted(str(folder) for folder in cache.glob(f"npm/*/pyodide/{version}")
                   if (folder / "pyodide.asm.wasm").is_file())
    if not found:
        raise SandboxUnavailable(f"Pyodide {version} is not in Deno's cache ({cache}); the sandbox never downloads "
                                 f"it while running: run python -m dspex_native.sandbox once (or {INSTALL})")
    return found


def base_env() -> dict[str, str]:
    """The whole environment of a Deno process: Deno's switches, nothing of the host's."""
    env = {"DENO_NO_PACKAGE_JSON": "1", "DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"}
    for key in _SYSTEM_ENV:
        if key in os.environ:
            env[key] = os.environ[key]
    return env


class Runtime:
    """What starting a sandbox needs: the command line and the environment, and the limits the
    sessions started with it hold the code to (the memory limit is in the command already)."""

    __slots__ = ("deno", "cache", "command", "env", "limits")

    def __init__(self, deno: str, cache: Path, command: list[str], env: dict[str, str],
                 limits: sandbox_limits.Limits | None = None):
        self.deno = deno
        self.cache = cache
        self.command = command
        self.env = env
        self.limits = limits if limits is not None else sandbox_limits.Limits(None, None)

    def __repr__(self) -> str:
        return f"Runtime(deno={self.deno!r}, cache={str(self.cache)!r}, limits={self.limits!r})"


def _read_list(paths: list[str]) -> str:
    if any("," in path for path in paths):  # Deno separates the allowed paths with commas
        raise SandboxUnavailable(f"Deno's cache path has a comma ({paths[0]}), which Deno's --allow-read cannot "
                                 "name; set DENO_DIR to a path without one and run python -m dspex_native.sandbox")
    return ",".join(paths)


def _command(deno: str, read: list[str], *, cached_only: bool, flags: list[str] | None = None) -> list[str]:
    command = [deno, "run", "--no-config", "--no-lock", "--node-modules-dir=false", "--no-prompt", *(flags or ())]
    if cached_only:
        command.append("--cached-only")
    command += [f"--allow-read={_read_list(read)}", str(RUNNER)]
    return command


def locate(limits: sandbox_limits.Limits | None = None) -> Runtime:
    """The runtime of a sandbox session held to ``limits`` (the defaults when ``None``); raises
    :class:`SandboxUnavailable` saying what is missing."""
    limits = limits if limits is not None else sandbox_limits.Limits()
    deno = deno_binary()
    cache = deno_dir(deno)
    env = {**base_env(), "DENO_DIR": str(cache)}
    command = _command(deno, pyodide_folders(cache), cached_only=True, flags=sandbox_limits.deno_flags(limits))
    return Runtime(deno, cache, command, env, limits)


def installer() -> Runtime:
    """The runtime of the install step: Deno may download Pyodide (and read its npm cache) once."""
    deno = deno_binary()
    cache = deno_dir(deno)
    env = {**base_env(), "DENO_DIR": str(cache)}
    for key in _INSTALL_ENV:
        if key in os.environ:
            env[key] = os.environ[key]
    return Runtime(deno, cache, _command(deno, [str(cache / "npm")], cached_only=False), env)
