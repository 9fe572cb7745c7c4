"""The backend contract: what an implementation of a module type must and may provide.

An *implementation* is the object a backend registers for one module type
(``register("predict", implementation, backend="mine")``). The core calls it and nothing else:
``create`` makes the module's *state* (whatever the backend needs to run it: a precompiled
prompt, the id of a stored object), ``execute`` runs that state on inputs. Every other method is
optional; the core looks at which ones an implementation has once, when it is registered
(:func:`implemented_methods`), and serves what is missing itself (a worker thread for the async
twins) or raises :class:`~dspex_core.errors.CapabilityError` naming the method.

Implementations may subclass :class:`Implementation`, which documents each method and gives the
optional ones a default; any object with the same methods will do (it is checked the same way).
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator, Mapping, Sequence

from dspex_core.errors import CapabilityError

#: The methods every implementation has.
REQUIRED_METHODS = ("create", "execute")
#: The methods an implementation may have, in the order the contract lists them.
OPTIONAL_METHODS = ("acreate", "aexecute", "describe", "save", "dump_state", "load_state", "compile",
                    "unwrap", "render", "parse", "stream", "astream")
ASYNC_METHODS = frozenset({"acreate", "aexecute"})

#: Per method: the positional arguments the core passes (after ``self``), the keyword arguments
#: it passes by name, and whether it passes further keyword options (so ``**options`` is needed).
_CALLS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "create": (("spec",), (), True),
    "execute": (("state", "inputs"), (), True),
    "acreate": (("spec",), (), True),
    "aexecute": (("state", "inputs"), (), True),
    "describe": (("state",), (), False),
    "save": (("state", "path"), (), False),
    "dump_state": (("state",), (), False),
    "load_state": (("spec", "state_dict"), (), True),
    "compile": (("state", "program"), ("trainset", "valset"), True),
    "unwrap": (("state",), (), False),
    "render": (("state", "inputs"), (), True),
    "parse": (("state", "completion"), (), True),
    "stream": (("state", "inputs"), (), True),
    "astream": (("state", "inputs"), (), True),
}
#: Methods the core iterates with ``async for``: async generator functions.
ASYNC_GENERATORS = frozenset({"astream"})


def _default(method: Any) -> Any:
    """Mark one of :class:`Implementation`'s optional methods as the default, not the backend's."""
    method.__dspex_default__ = True
    return method


class Implementation:
    """Base class (optional) of a backend's implementation of one module type.

    Set ``module_type`` for clearer messages, and ``not_implemented`` to the features of the
    module type that are not built yet: short phrases that ``dspex backends`` lists and that
    raise :class:`~dspex_core.errors.CapabilityError` (a ``NotImplementedError``) when asked for.
    """

    #: The module type this object implements (used in messages only).
    module_type: str = ""
    #: Features of the module type not built yet, one phrase each (see ``dspex backends``).
    not_implemented: Sequence[str] = ()

    # -- required ---------------------------------------------------------------------------
    def create(self, spec: Any, **options: Any) -> Any:
        """Make a module from ``spec`` (what the module type takes first: a signature, a module
        reference, a metric name, nothing) and ``options``; return its state.

        Reject an unknown option with :class:`~dspex_core.errors.InputError` naming it. The
        state is passed back to every other method as it is; it should be cheap to use many
        times and from many threads.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement create(spec, **options)")

    def execute(self, state: Any, inputs: Mapping[str, Any], **options: Any) -> Any:
        """Run the module on ``inputs`` and return a :class:`~dspex_core.Prediction`.

        ``options`` are call options (for LM-backed modules ``lm``, ``config``, ``demos``).
        Raise :class:`~dspex_core.errors.InputError` for the caller's mistakes (the router never
        retries those on another backend) and :class:`~dspex_core.errors.CapabilityError` for
        something this backend cannot do (the router may fall back to the next backend).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement execute(state, inputs, **options)")

    # -- optional ---------------------------------------------------------------------------
    @_default
    async def acreate(self, spec: Any, **options: Any) -> Any:
        """The async twin of :meth:`create`. Without it, the core runs ``create`` in a worker thread."""
        import asyncio

        return await asyncio.to_thread(self.create, spec, **options)

    @_default
    async def aexecute(self, state: Any, inputs: Mapping[str, Any], **options: Any) -> Any:
        """The async twin of :meth:`execute`. Without it, the core runs ``execute`` in a worker thread."""
        import asyncio

        return await asyncio.to_thread(self.execute, state, inputs, **options)

    @_default
    def describe(self, state: Any) -> dict[str, Any]:
        """What the module is, for people and for pipelines: ``signature``, ``demos``,
        ``instructions``, and ``inputs``/``outputs`` (the fields it reads and produces), as it knows."""
        return {}

    @_default
    def save(self, state: Any, path: Any) -> None:
        """Write the module's learned state (demos, instructions) to ``path``, as DSPy's JSON
        where the module type has a DSPy equivalent, so that plain DSPy can load it."""
        raise CapabilityError(f"{self._name()} cannot save modules")

    @_default
    def dump_state(self, state: Any) -> dict[str, Any]:
        """The module's state as DSPy's ``module.dump_state()`` gives it (JSON types only), so
        that :meth:`load_state` here or on another backend rebuilds the same module."""
        raise CapabilityError(f"{self._name()} cannot dump module state")

    @_default
    def load_state(self, spec: Any, state_dict: Mapping[str, Any], **options: Any) -> Any:
        """Make a module for ``spec`` (what :meth:`create` takes) with a saved state applied
        (``state_dict`` as DSPy saved it, without ``metadata``); ``options`` are create options.
        ``dspex.load`` uses it."""
        raise CapabilityError(f"{self._name()} cannot load saved programs")

    @_default
    def compile(self, state: Any, program: Any, *, trainset: list[Any], valset: list[Any] | None,
                **options: Any) -> Any:
        """Optimizers only: optimize ``program`` (a ``ModuleRef``) on ``trainset`` and return a
        ``ModuleRef`` to the compiled program (build it with ``dspex_core.backend.module_ref``)."""
        raise CapabilityError(f"{self._name()} is not an optimizer")

    @_default
    def unwrap(self, state: Any) -> Any:
        """The live object of the library behind the module (the dspy backend's ``dspy.Module``), for
        what dspex does not wrap; ``ref.unwrap()`` calls it. A backend that runs modules itself has
        no such object and leaves this out (``ref.unwrap()`` then says so)."""
        raise CapabilityError(f"{self._name()} keeps no object of another library to unwrap")

    @_default
    def render(self, state: Any, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        """The request the next ``execute(state, inputs, **options)`` would send, without calling
        the LM: ``{"messages": [...], "settings": {...}, "model": ...}`` (build it with
        ``dspex_core.backend.rendered``). ``ref.render(**inputs)`` uses it; without it, that is a
        :class:`~dspex_core.errors.CapabilityError` naming the backend."""
        raise CapabilityError(f"{self._name()} cannot render prompts")

    @_default
    def parse(self, state: Any, completion: Any, **options: Any) -> dict[str, Any]:
        """The output values one LM completion (its text) is read into by the module's adapter,
        without calling the LM: ``{field: value}``, as ``execute`` reads a reply (a completion it
        cannot read is an :class:`~dspex_core.errors.AdapterParseError`). ``ref.parse(completion)``
        uses it; without it, that is a :class:`~dspex_core.errors.CapabilityError` naming the backend."""
        raise CapabilityError(f"{self._name()} cannot parse completions")

    @_default
    def stream(self, state: Any, inputs: Mapping[str, Any], **options: Any) -> Iterator[Any]:
        """Run the module as :meth:`execute` does, yielding a ``dspex_core.StreamChunk(field, text,
        predict_name)`` for each piece of an output field's text as the LM's reply arrives, then the
        final :class:`~dspex_core.Prediction` (the last item; equal to what :meth:`execute` returns
        for the same reply). ``ref.stream(**inputs)`` uses it. Without it (this default), a stream
        of the module yields only the final Prediction, as ``dspy.streamify`` does for a module no
        listener matches. Raise before the first item for failures the router may fall back on."""
        yield self.execute(state, inputs, **options)

    @_default
    async def astream(self, state: Any, inputs: Mapping[str, Any], **options: Any) -> AsyncIterator[Any]:
        """The async twin of :meth:`stream` (an async generator). Without it, the core advances
        :meth:`stream` in worker threads, or, without that either, yields :meth:`aexecute`'s result."""
        yield await self.aexecute(state, inputs, **options)

    def _name(self) -> str:
        return f"{type(self).__name__}" + (f" ({self.module_type})" if self.module_type else "")


def _static(obj: Any, name: str) -> Any:
    """``obj.name`` found without running ``__getattr__`` (a lazy implementation's would import it)."""
    import inspect

    try:
        return inspect.getattr_static(obj, name)
    except AttributeError:
        return None


def _is_default(found: Any) -> bool:
    return getattr(found, "__dspex_default__", False)


def implemented_methods(implementation: Any) -> frozenset[str]:
    """The optional contract methods ``implementation`` provides itself (not
    :class:`Implementation`'s defaults), found without waking lazy implementations."""
    found = set()
    for name in OPTIONAL_METHODS:
        attribute = _static(implementation, name)
        if attribute is not None and not _is_default(attribute):
            found.add(name)
    return frozenset(found)


def _callable_of(attribute: Any) -> tuple[Any, bool]:
    """The function to inspect and whether the core's call binds ``self``/``cls`` to it."""
    if isinstance(attribute, staticmethod):
        return attribute.__func__, False
    if isinstance(attribute, classmethod):
        return attribute.__func__, True
    import inspect

    if inspect.isfunction(attribute):
        return attribute, True  # a plain function in the class body: a method
    return attribute, False  # a callable stored on the instance, or a bound method


def _problem_with(name: str, attribute: Any) -> str | None:
    """Why ``attribute`` cannot serve as the contract's ``name``, or ``None``."""
    import inspect

    function, bound = _callable_of(attribute)
    if not callable(function):
        return f"{name} is not callable ({type(attribute).__name__})"
    if name in ASYNC_METHODS and not inspect.iscoroutinefunction(function):
        return f"{name}() must be an async def (the core awaits it)"
    if name in ASYNC_GENERATORS and not inspect.isasyncgenfunction(function):
        return f"{name}() must be an async generator (async def ... yield: the core iterates it with async for)"
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None  # a builtin or C callable: nothing to check
    positional, keywords, options = _CALLS[name]
    params = list(signature.parameters.values())
    if bound and params:
        params = params[1:]
        signature = signature.replace(parameters=params)
    kinds = inspect.Parameter
    takes_more = any(p.kind is kinds.VAR_POSITIONAL for p in params)
    takes_options = any(p.kind is kinds.VAR_KEYWORD for p in params)
    slots = [p for p in params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)]
    required = [p for p in slots if p.default is p.empty]
    wanted = f"{name}({', '.join((*positional, *(k + '=' for k in keywords), *(('**options',) if options else ())))})"
    if len(required) > len(positional) or (len(slots) < len(positional) and not takes_more):
        return f"{name}{signature} cannot be called as {wanted}"
    named = {p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)}
    missing_keywords = [k for k in keywords if k not in named and not takes_options]
    if missing_keywords:
        return f"{name}{signature} does not take {', '.join(missing_keywords)}=: it is called as {wanted}"
    extra_required = [p.name for p in params if p.kind is kinds.KEYWORD_ONLY and p.default is p.empty
                      and p.name not in keywords]
    if extra_required:
        return f"{name}{signature} requires {', '.join(extra_required)}=, which the core never passes"
    if options and not takes_options:
        return f"{name}{signature} must accept **options: it is called as {wanted}"
    return None


def check_implementation(implementation: Any) -> list[str]:
    """Everything that keeps ``implementation`` from meeting the contract, one phrase per
    problem naming the method (empty when it meets it)."""
    problems = []
    missing = []
    for name in REQUIRED_METHODS:
        attribute = _static(implementation, name)
        if attribute is None or attribute is _static(Implementation, name):
            missing.append(name)
            continue
        problem = _problem_with(name, attribute)
        if problem:
            problems.append(problem)
    if missing:
        problems.insert(0, f"lacks {' and '.join(missing)}()")
    for name in sorted(implemented_methods(implementation), key=OPTIONAL_METHODS.index):
        problem = _problem_with(name, _static(implementation, name))
        if problem:
            problems.append(problem)
    declared = _static(implementation, "not_implemented")
    if declared is not None and (isinstance(declared, str) or not isinstance(declared, (list, tuple)) or not all(
            isinstance(d, str) and d.strip() for d in declared)):
        problems.append(f"not_implemented of {implementation!r} must be a list of non-empty strings (one phrase "
                        f"per feature not built yet), got {declared!r}")
    return problems


def declared_not_implemented(implementation: Any) -> list[str]:
    """The implementation's ``not_implemented`` phrases (checked by :func:`check_implementation`)."""
    declared = _static(implementation, "not_implemented")
    return list(declared) if isinstance(declared, (list, tuple)) else []
