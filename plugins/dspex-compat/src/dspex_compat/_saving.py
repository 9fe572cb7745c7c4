"""Saving whole programs as DSPy does: ``module.save(dir, save_program=True)`` and ``dspy.load(dir)``.

A program is written with cloudpickle (``program.pkl``) beside ``metadata.json`` (the dependency
versions, which loading compares and warns about); ``modules_to_serialize`` are pickled by value.
cloudpickle is an optional dependency here (``pip install 'dspex-compat[pickle]'``); without it the
error says so. The predictors' dspex references are not pickled: they are made again on first call.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any, Iterator

__all__ = ["get_dependency_versions", "save_program", "load", "warn_on_version_mismatch", "warn_untrusted",
           "cloudpickle"]

_UNTRUSTED = ("Loading untrusted .pkl files can run arbitrary code, which may be dangerous. To avoid "
              'this, prefer saving using json format using module.save("module.json").')


def _logger() -> Any:
    import logging

    return logging.getLogger("dspy.primitives.base_module")


def get_dependency_versions() -> dict[str, Any]:
    """DSPy's ``metadata.dependency_versions`` (the layer serves DSPy 3.4.1's API)."""
    try:
        from importlib.metadata import version

        cloudpickle_version = ".".join(version("cloudpickle").split(".")[:2])
    except Exception:
        cloudpickle_version = None
    from dspex_compat import _version

    return {"python": f"{sys.version_info.major}.{sys.version_info.minor}", "dspy": _version.DSPY_VERSION,
            "cloudpickle": cloudpickle_version}


def warn_untrusted() -> None:
    _logger().warning(_UNTRUSTED)


def warn_on_version_mismatch(saved: dict[str, Any]) -> None:
    current = get_dependency_versions()
    for key, saved_version in (saved or {}).items():
        if current.get(key) != saved_version:
            _logger().warning(
                f"There is a mismatch of {key} version between saved model and current environment. "
                f"You saved with `{key}=={saved_version}`, but now you have `{key}=={current.get(key)}`. This might "
                "cause errors or performance downgrade on the loaded model, please consider loading the model in "
                "the same environment as the saving environment.")


def cloudpickle() -> Any:
    """The cloudpickle module, or an ImportError saying how to install it."""
    try:
        import cloudpickle as module
    except ImportError:
        raise ImportError("saving or loading whole programs needs cloudpickle: pip install 'dspex-compat[pickle]' "
                          "(or save the state with module.save('program.json'))") from None
    return module


@contextlib.contextmanager
def _by_value(modules: list | None) -> Iterator[None]:
    pickler = cloudpickle()
    registered = []
    try:
        for module in modules or ():
            pickler.register_pickle_by_value(module)
            registered.append(module)
        yield
    finally:
        for module in registered:
            pickler.unregister_pickle_by_value(module)


def save_program(program: Any, path: Any, modules_to_serialize: list | None = None) -> None:
    """``program.pkl`` and ``metadata.json`` in the folder ``path``."""
    from pathlib import Path

    path = Path(path)
    if path.suffix:
        raise ValueError(f"`path` must point to a directory without a suffix when `save_program=True`, but received: "
                         f"{path}")
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"The path '{path}' exists but is not a directory.")
    pickler = cloudpickle()
    path.mkdir(parents=True, exist_ok=True)
    warn_untrusted()
    try:
        with _by_value(modules_to_serialize), open(path / "program.pkl", "wb") as f:
            pickler.dump(program, f)
    except Exception as exc:
        raise RuntimeError(f"Saving failed with error: {exc}. Please remove the non-picklable attributes from your "
                           "DSPy program, or consider using state-only saving by setting `save_program=False`.") from exc
    metadata = {"dependency_versions": get_dependency_versions()}
    (path / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")


def load(path: str, allow_pickle: bool = False) -> Any:
    """A program saved with ``save_program=True`` (DSPy's ``dspy.load``)."""
    from pathlib import Path

    if not allow_pickle:
        raise ValueError("Loading with pickle is not allowed. Please set `allow_pickle=True` if you are sure you "
                         "trust the source of the model.")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The path '{path}' does not exist.")
    metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    warn_on_version_mismatch(metadata["dependency_versions"])
    with open(path / "program.pkl", "rb") as f:
        return cloudpickle().load(f)
