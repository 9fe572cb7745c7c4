"""DSPy's ``Module``: a user's program, its predictors found by walking its attributes.

``named_parameters``/``named_predictors`` walk the instance's attributes as DSPy does (lists,
tuples and dicts one level deep, sub-modules recursively unless compiled), so an optimizer or
``save``/``load`` sees the same names (``draft.predict``) as on dspy. State files are DSPy's
JSON (``dump_state`` per predictor plus ``metadata.dependency_versions``).
"""

from __future__ import annotations

import copy
import json
import sys
from collections import deque
from typing import Any, Iterator

from dspex_compat._callback import with_callbacks
from dspex_compat._parameter import Parameter, Predictor
from dspex_compat._saving import get_dependency_versions, warn_on_version_mismatch
from dspex_compat._settings import caller_modules, settings

__all__ = ["BaseModule", "Module", "ProgramMeta", "get_dependency_versions", "set_attribute_by_name"]



def _logger() -> Any:
    import logging  # on first warning: ``import dspy`` does not import logging

    return logging.getLogger("dspy.primitives.module")


class BaseModule:
    def __init__(self) -> None:
        pass

    def named_parameters(self) -> list[tuple[str, Any]]:
        visited: set[int] = set()
        found: list[tuple[str, Any]] = []

        def add(name: str, value: Any) -> None:
            if isinstance(value, Parameter):
                if id(value) not in visited:
                    visited.add(id(value))
                    found.append((name, value))
            elif isinstance(value, Module):
                if not getattr(value, "_compiled", False):
                    for sub_name, param in value.named_parameters():
                        add(f"{name}.{sub_name}", param)

        if isinstance(self, Parameter):
            add("self", self)
        for name, value in self.__dict__.items():
            if isinstance(value, (Parameter, Module)):
                add(name, value)
            elif isinstance(value, (list, tuple)):
                for idx, item in enumerate(value):
                    add(f"{name}[{idx}]", item)
            elif isinstance(value, dict):
                for key, item in value.items():
                    add(f"{name}['{key}']", item)
        return found

    def named_sub_modules(self, type_: type | None = None, skip_compiled: bool = False) -> Iterator[tuple[str, Any]]:
        type_ = BaseModule if type_ is None else type_
        queue = deque([("self", self)])
        seen = {id(self)}

        def push(name: str, item: Any) -> None:
            if id(item) not in seen:
                seen.add(id(item))
                queue.append((name, item))

        while queue:
            name, item = queue.popleft()
            if isinstance(item, type_):
                yield name, item
            if isinstance(item, BaseModule):
                if skip_compiled and getattr(item, "_compiled", False):
                    continue
                for sub_name, sub_item in item.__dict__.items():
                    push(f"{name}.{sub_name}", sub_item)
            elif isinstance(item, (list, tuple)):
                for i, sub_item in enumerate(item):
                    push(f"{name}[{i}]", sub_item)
            elif isinstance(item, dict):
                for key, sub_item in item.items():
                    push(f"{name}[{key}]", sub_item)

    def parameters(self) -> list[Any]:
        return [param for _, param in self.named_parameters()]

    def deepcopy(self) -> Any:
        try:
            return copy.deepcopy(self)
        except Exception:
            pass
        new = self.__class__.__new__(self.__class__)
        for attr, value in self.__dict__.items():
            if isinstance(value, BaseModule):
                setattr(new, attr, value.deepcopy())
                continue
            try:
                setattr(new, attr, copy.deepcopy(value))
            except Exception:
                _logger().warning(f"Failed to deep copy attribute '{attr}' of {self.__class__.__name__}, "
                                "falling back to shallow copy or reference copy.")
                try:
                    setattr(new, attr, copy.copy(value))
                except Exception:
                    setattr(new, attr, value)
        return new

    def reset_copy(self) -> Any:
        new = self.deepcopy()
        for param in new.parameters():
            param.reset()
        return new

    def dump_state(self, json_mode: bool = True) -> dict[str, Any]:
        return {name: param.dump_state(json_mode=json_mode) for name, param in self.named_parameters()}

    def load_state(self, state: dict[str, Any], *, allow_unsafe_lm_state: bool = False) -> Any:
        """Load every predictor's state; a state that fails on one leaves the module untouched
        (tried on a copy first, as DSPy does)."""

        def apply(module: Any) -> None:
            for name, param in module.named_parameters():
                param.load_state(state[name])

        apply(self.deepcopy())
        apply(self)
        return self

    def save(self, path: Any, save_program: bool = False, modules_to_serialize: list | None = None) -> None:
        """State as DSPy's JSON (``.json``) or a pickle (``.pkl``); ``save_program=True`` writes the whole
        program to a folder with cloudpickle, for ``dspy.load``."""
        metadata = {"dependency_versions": get_dependency_versions()}
        from pathlib import Path

        path = Path(path)
        if save_program:
            from dspex_compat._saving import save_program as write_program

            write_program(self, path, modules_to_serialize)
            return
        if path.suffix == ".json":
            state = self.dump_state()
            state["metadata"] = metadata
            try:
                text = json.dumps(state, indent=2, ensure_ascii=False) + "\n"
            except (TypeError, ValueError) as exc:
                raise RuntimeError(
                    f"Failed to save state to {path} with error: {exc}. Your DSPy program may contain non "
                    "json-serializable objects, please consider saving the state in .pkl by using `path` ending "
                    "with `.pkl`, or saving the whole program by setting `save_program=True`.") from exc
            path.write_text(text, encoding="utf-8")
        elif path.suffix == ".pkl":
            from dspex_compat._saving import cloudpickle, warn_untrusted

            warn_untrusted()
            state = self.dump_state(json_mode=False)
            state["metadata"] = metadata
            with open(path, "wb") as f:
                cloudpickle().dump(state, f)
        else:
            raise ValueError(f"`path` must end with `.json` or `.pkl` when `save_program=False`, but received: {path}")

    def load(self, path: Any, allow_pickle: bool = False, allow_unsafe_lm_state: bool = False) -> Any:
        from pathlib import Path

        path = Path(path)
        if path.suffix == ".json":
            state = json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".pkl":
            if not allow_pickle:
                raise ValueError("Loading .pkl files can run arbitrary code, which may be dangerous. Prefer "
                                 "saving with .json files if possible. Set `allow_pickle=True` "
                                 "if you are sure about the source of the file and in a trusted environment.")
            from dspex_compat._saving import cloudpickle

            with open(path, "rb") as f:
                state = cloudpickle().load(f)  # the caller allowed it
        else:
            raise ValueError(f"`path` must end with `.json` or `.pkl`, but received: {path}")
        warn_on_version_mismatch(state.get("metadata", {}).get("dependency_versions"))
        self.load_state(state, allow_unsafe_lm_state=allow_unsafe_lm_state)
        return self


class ProgramMeta(type):
    """Makes sure a module's base attributes exist even when its ``__init__`` skips ``super().__init__()``."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        obj = cls.__new__(cls, *args, **kwargs)
        if isinstance(obj, cls):
            Module._base_init(obj)
            cls.__init__(obj, *args, **kwargs)
            if not hasattr(obj, "callbacks"):
                obj.callbacks = []
            if not hasattr(obj, "history"):
                obj.history = []
        return obj


class Module(BaseModule, metaclass=ProgramMeta):
    """The base of a DSPy program: define ``forward`` (and ``aforward``), call the instance."""

    def _base_init(self) -> None:
        self._compiled = False
        self.callbacks = []
        self.history = []

    def __init__(self, callbacks: list | None = None) -> None:
        self.callbacks = callbacks or []
        self._compiled = False
        self.history = []

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @with_callbacks
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        token = caller_modules.set((*caller_modules.get(), self))  # their history gets this call's LM calls
        try:
            return self.forward(*args, **kwargs)
        finally:
            caller_modules.reset(token)

    @with_callbacks
    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        token = caller_modules.set((*caller_modules.get(), self))
        try:
            return await self.aforward(*args, **kwargs)
        finally:
            caller_modules.reset(token)

    async def aforward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no aforward(); define it to call the module with acall()")

    def named_predictors(self) -> list[tuple[str, Any]]:
        return [(name, param) for name, param in self.named_parameters() if isinstance(param, Predictor)]

    def predictors(self) -> list[Any]:
        return [param for _, param in self.named_predictors()]

    def set_lm(self, lm: Any) -> None:
        for _, param in self.named_predictors():
            param.lm = lm

    def get_lm(self) -> Any:
        all_used = {id(p.lm): p.lm for _, p in self.named_predictors()}
        if len(all_used) == 1:
            return next(iter(all_used.values()))
        raise ValueError("Multiple LMs are being used in the module. There's no unique LM to return.")

    def __repr__(self) -> str:
        return "\n".join(f"{name} = {param}" for name, param in self.named_parameters())

    def map_named_predictors(self, func: Any) -> "Module":
        for name, predictor in self.named_predictors():
            set_attribute_by_name(self, name, func(predictor))
        return self

    def inspect_history(self, n: int = 1) -> None:
        import dspex_core

        dspex_core.inspect_history(n, colors=True, entries=self.history)

    def batch(self, examples: list[Any], num_threads: int | None = None, max_errors: int | None = None,
              return_failed_examples: bool = False, provide_traceback: bool | None = None,
              disable_progress_bar: bool = False, timeout: int = 120, straggler_limit: int = 3) -> Any:
        """Run the module on each example's inputs with ``dspy.Parallel`` (results in order)."""
        from dspex_compat._parallel import Parallel

        parallel = Parallel(num_threads=num_threads, max_errors=max_errors,
                            return_failed_examples=return_failed_examples, provide_traceback=provide_traceback,
                            disable_progress_bar=disable_progress_bar, timeout=timeout,
                            straggler_limit=straggler_limit)
        return parallel.forward([(self, example.inputs()) for example in examples])


def set_attribute_by_name(obj: Any, name: str, value: Any) -> None:
    import re

    target = obj
    parts = re.findall(r"\.?([A-Za-z_]\w*)|\[(\d+)\]|\['([^']*)'\]", name)
    for i, (attr, index, key) in enumerate(parts):
        last = i == len(parts) - 1
        if attr:
            if last:
                setattr(target, attr, value)
            else:
                target = getattr(target, attr)
        elif index:
            if last:
                target[int(index)] = value
            else:
                target = target[int(index)]
        else:
            if last:
                target[key] = value
            else:
                target = target[key]
