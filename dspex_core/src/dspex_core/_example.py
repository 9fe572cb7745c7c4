"""``Example`` and ``Prediction``: DSPy's record types, without DSPy.

An :class:`Example` is a bag of named values (a training row, a demo); ``with_inputs``
marks which keys are inputs. A :class:`Prediction` is what a module returns: its output
fields, with attribute and item access, plus all completions when ``n > 1``.

dspy's own ``dspy.Example`` and ``dspy.Prediction`` are accepted wherever dspex takes examples
(demos, devsets, trainsets, a module's inputs), read by their attributes without importing dspy
(:func:`example_of`): dspy 3.4 keeps the values in ``_store`` and the marked inputs in
``_input_keys`` (``None`` until ``with_inputs``; a ``dspy.Prediction`` has none).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping


_OWN_SLOTS = frozenset({"_store", "_input_keys", "_completions", "_lm_usage"})


class Example:
    """A record with attribute and item access, as ``dspy.Example``."""

    __slots__ = ("_store", "_input_keys")

    def __init__(self, base: Mapping[str, Any] | "Example" | None = None, **kwargs: Any):
        if type(base) is dict or base is None:  # a module's outputs: every Prediction a call returns
            store = dict(base) if base is not None else {}
            input_keys = None
        elif isinstance(base, Example):
            store = dict(base._store)
            input_keys = base._input_keys
        elif (foreign := foreign_store(base)) is not None:  # a dspy.Example: its values and marked inputs
            store = dict(foreign)
            keys = _foreign_input_keys(base)
            input_keys = frozenset(keys) if keys is not None else None
        else:
            store = dict(base) if base is not None else {}
            input_keys = None
        store.update(kwargs)
        _set_store(self, store)
        _set_input_keys(self, input_keys)

    # -- access -------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in _OWN_SLOTS or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)  # our slots are unset while copy/pickle rebuilds the object
        try:
            return self._store[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}; fields: {list(self._store)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._store[name] = value

    def __getitem__(self, key: str) -> Any:
        return self._store[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._store[key] = value

    def __delitem__(self, key: str) -> None:
        del self._store[key]

    def __contains__(self, key: object) -> bool:
        return key in self._store

    def __len__(self) -> int:
        """The fields, without DSPy's internal ``dspy_`` ones (``dspy_uuid``, ``dspy_split``), as DSPy counts."""
        return sum(1 for k in self._store if not k.startswith("dspy_"))

    def __iter__(self) -> Iterator[str]:
        return iter(self._store)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Example) and self._store == other._store

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self._store.items())))

    def __repr__(self) -> str:
        """DSPy's text: ``Example({...}) (input_keys={...})``, internal ``dspy_`` fields left out."""
        shown = {k: v for k, v in self._store.items() if not k.startswith("dspy_")}
        keys = set(self._input_keys) if self._input_keys is not None else None
        return f"Example({shown}) (input_keys={keys})"

    __str__ = __repr__

    # -- copy and pickle ---------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {slot: getattr(self, slot) for cls in type(self).__mro__ for slot in getattr(cls, "__slots__", ())}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        for slot, value in state.items():
            object.__setattr__(self, slot, value)

    def __copy__(self) -> "Example":
        """A shallow copy with its own field dict (setting a field on it leaves this one alone)."""
        new = object.__new__(type(self))
        state = self.__getstate__()
        state["_store"] = dict(self._store)
        new.__setstate__(state)
        return new

    def get(self, key: str, default: Any = None) -> Any:
        return self._store.get(key, default)

    def keys(self, include_dspy: bool = False) -> list[str]:
        """The field names (DSPy's internal ``dspy_`` ones only with ``include_dspy=True``)."""
        return [k for k in self._store if include_dspy or not k.startswith("dspy_")]

    def values(self, include_dspy: bool = False) -> list[Any]:
        return [v for k, v in self._store.items() if include_dspy or not k.startswith("dspy_")]

    def items(self, include_dspy: bool = False) -> list[tuple[str, Any]]:
        return [(k, v) for k, v in self._store.items() if include_dspy or not k.startswith("dspy_")]

    def toDict(self) -> dict[str, Any]:  # noqa: N802 - DSPy's name
        """The fields as plain data, as DSPy's: nested Examples and pydantic models (``dspy.History``,
        ``dspex.History``) become dicts, inside lists and dicts too."""
        return {k: _plain(v) for k, v in self._store.items()}

    to_dict = toDict

    # -- inputs and labels ----------------------------------------------------------------
    def with_inputs(self, *keys: str) -> "Example":
        """A copy whose ``inputs()`` are ``keys`` and whose ``labels()`` are the rest."""
        copy = type(self)(self)
        object.__setattr__(copy, "_input_keys", frozenset(keys))
        return copy

    @property
    def input_keys(self) -> frozenset[str] | None:
        return self._input_keys

    def inputs(self) -> "Example":
        """The input fields only (``with_inputs`` must have been called)."""
        if self._input_keys is None:
            raise ValueError("inputs() needs with_inputs(...) first: which keys are inputs is not known")
        copy = type(self)({k: v for k, v in self._store.items() if k in self._input_keys})
        object.__setattr__(copy, "_input_keys", self._input_keys)
        return copy

    def labels(self) -> "Example":
        """Every field that is not an input."""
        keys = self._input_keys or frozenset()
        return type(self)({k: v for k, v in self._store.items() if k not in keys})

    def copy(self, **kwargs: Any) -> "Example":
        copy = type(self)(self, **kwargs)
        return copy

    def without(self, *keys: str) -> "Example":
        copy = type(self)(self)
        for key in keys:
            copy._store.pop(key, None)
        return copy


def _plain(value: Any) -> Any:
    """DSPy's ``toDict`` conversion of one value (read by duck typing: no pydantic import)."""
    if hasattr(value, "toDict"):
        return value.toDict()
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return dump()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Prediction(Example):
    """A module's result: output fields by attribute or item, and ``completions`` for ``n > 1``."""

    __slots__ = ("_completions", "_lm_usage")

    def __init__(self, base: Mapping[str, Any] | Example | None = None, **kwargs: Any):
        if type(base) is dict and not kwargs:  # a module's outputs: every Prediction a call returns
            _set_store(self, dict(base))
            _set_input_keys(self, None)
        else:
            Example.__init__(self, base, **kwargs)
        _set_completions(self, None)
        _set_lm_usage(self, None)

    @classmethod
    def from_completions(cls, completions: list[Mapping[str, Any]] | Mapping[str, list[Any]],
                         signature: Any = None) -> "Prediction":
        """The first completion's fields, with every completion kept in ``completions`` (a list of
        field dicts, or DSPy's dict of value lists)."""
        rows = completions if isinstance(completions, list) else Completions(completions).rows()
        pred = cls(rows[0] if rows else {})
        object.__setattr__(pred, "_completions", [dict(c) for c in rows])
        return pred

    @property
    def completions(self) -> "Completions":
        """Every completion when the module ran with ``n > 1`` (else just this one), as DSPy's
        ``Completions``: ``completions[i]`` is a Prediction, ``completions.answer`` every answer."""
        held = self._completions
        if held is None:
            return Completions([dict(self._store)])
        if type(held) is not Completions:  # made once: DSPy's callers append to its value lists
            held = Completions(held)
            object.__setattr__(self, "_completions", held)
        return held

    def get_lm_usage(self) -> dict[str, Any] | None:
        """The LM usage of the calls that made this prediction, DSPy's shape: ``{model: {"prompt_tokens",
        "completion_tokens", "total_tokens", "prompt_tokens_details", ...}}`` (``{}`` when no paid LM
        call was made, e.g. only cache hits; ``None`` for a prediction no module returned)."""
        usage = self._lm_usage
        if type(usage) is list:  # the call's usage record (dspex_core.usage), summed when first read
            from dspex_core.usage import totals

            usage = totals(usage)
            object.__setattr__(self, "_lm_usage", usage)
        return usage

    def set_lm_usage(self, usage: dict[str, Any] | None) -> None:
        object.__setattr__(self, "_lm_usage", usage)

    def __getstate__(self) -> dict[str, Any]:
        self.get_lm_usage()  # a pending record becomes its dict: copies and pickles hold plain data
        return super().__getstate__()

    def __repr__(self) -> str:
        """DSPy's text: one ``name=value`` per line (and how many other completions there are)."""
        store_repr = ",\n    ".join(f"{k}={v!r}" for k, v in self._store.items())
        if self._completions is None or len(self._completions) == 1:
            return f"Prediction(\n    {store_repr}\n)"
        return (f"Prediction(\n    {store_repr},\n    completions=Completions(...)\n) "
                f"({len(self._completions) - 1} completions omitted)")

    __str__ = __repr__

    # -- a metric's result as a number: DSPy compares and adds Predictions by their `score` ------
    def __float__(self) -> float:
        if "score" not in self._store:
            raise ValueError("Prediction object does not have a 'score' field to convert to float.")
        return float(self._store["score"])

    def _number(self, other: Any, what: str) -> float:
        if isinstance(other, (float, int)):
            return other
        if isinstance(other, Prediction):
            return float(other)
        raise TypeError(f"Unsupported type for {what}: {type(other)}")

    def __add__(self, other: Any) -> float:
        return float(self) + self._number(other, "addition")

    def __radd__(self, other: Any) -> float:
        return self._number(other, "addition") + float(self)

    def __truediv__(self, other: Any) -> float:
        return float(self) / self._number(other, "division")

    def __rtruediv__(self, other: Any) -> float:
        return self._number(other, "division") / float(self)

    def __lt__(self, other: Any) -> bool:
        return float(self) < self._number(other, "comparison")

    def __le__(self, other: Any) -> bool:
        return float(self) <= self._number(other, "comparison")

    def __gt__(self, other: Any) -> bool:
        return float(self) > self._number(other, "comparison")

    def __ge__(self, other: Any) -> bool:
        return float(self) >= self._number(other, "comparison")

    __hash__ = Example.__hash__



class Completions:
    """DSPy's ``Completions``: the completions of one call, by index (a :class:`Prediction`) or by
    field (the list of that field's values: ``completions.answer``, ``completions["answer"]``).
    Iterating yields each completion as a Prediction; it equals another ``Completions`` with the
    same values, and a list of the completions' field dicts."""

    __slots__ = ("_completions", "signature")

    def __init__(self, list_or_dict: list[Mapping[str, Any]] | Mapping[str, list[Any]], signature: Any = None):
        if isinstance(list_or_dict, list):
            columns: dict[str, list[Any]] = {}
            for row in list_or_dict:
                for key, value in row.items():
                    columns.setdefault(key, []).append(value)
        else:
            columns = dict(list_or_dict)
        if not all(isinstance(v, list) for v in columns.values()):
            raise ValueError("All values must be lists")
        if columns and len({len(v) for v in columns.values()}) > 1:
            raise ValueError("All lists must have the same length")
        object.__setattr__(self, "_completions", columns)
        object.__setattr__(self, "signature", signature)

    def rows(self) -> list[dict[str, Any]]:
        """The completions as field dicts, in order."""
        return [{k: v[i] for k, v in self._completions.items()} for i in range(len(self))]

    def items(self) -> Iterable[tuple[str, list[Any]]]:
        return self._completions.items()

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            if key < 0 or key >= len(self):
                raise IndexError("Index out of range")
            return Prediction(**{k: v[key] for k, v in self._completions.items()})
        return self._completions[key]

    def __getattr__(self, name: str) -> list[Any]:
        if name.startswith("__") or name in ("_completions", "signature"):
            raise AttributeError(name)
        try:
            return self._completions[name]
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'") from None

    def __len__(self) -> int:
        return len(next(iter(self._completions.values()))) if self._completions else 0

    def __iter__(self) -> Iterator["Prediction"]:
        return (self[i] for i in range(len(self)))

    def __contains__(self, key: object) -> bool:
        return key in self._completions

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Completions):
            return self._completions == other._completions
        if isinstance(other, list):
            return self.rows() == [dict(row) for row in other]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        items_repr = ",\n    ".join(f"{k}={v!r}" for k, v in self._completions.items())
        return f"Completions(\n    {items_repr}\n)"

    __str__ = __repr__


# The slots' own setters: what __init__ writes past the classes' __setattr__ (which writes fields),
# at a fraction of object.__setattr__'s cost (a Prediction is made on every module call).
_set_store = Example._store.__set__
_set_input_keys = Example._input_keys.__set__
_set_completions = Prediction._completions.__set__
_set_lm_usage = Prediction._lm_usage.__set__

# -- dspy's records, read by their attributes ---------------------------------------------------

def foreign_store(value: Any) -> Mapping[str, Any] | None:
    """The values of a ``dspy.Example`` / ``dspy.Prediction`` (their ``_store`` dict, whose values are
    what the user put there, unconverted), or ``None`` for anything not shaped like one (it must
    also have dspy's ``inputs()`` method). dspex's own records are not foreign."""
    if isinstance(value, Example) or isinstance(value, Mapping) or value is None:
        return None
    try:
        store = getattr(value, "_store", None)
        inputs = getattr(value, "inputs", None)
    except Exception:  # an object whose attribute look-up fails is not a record
        return None
    return store if isinstance(store, Mapping) and callable(inputs) else None


def _foreign_input_keys(value: Any) -> Any:
    try:
        return getattr(value, "_input_keys", None)  # dspy's Prediction has none (its __getattr__ says so)
    except Exception:
        return None


def example_of(value: Any) -> Example | None:
    """``value`` as a dspex :class:`Example`: itself when it is one, a copy (values unchanged, marked
    inputs kept) of a ``dspy.Example`` or ``dspy.Prediction``, or ``None`` for anything else."""
    if isinstance(value, Example):
        return value
    return Example(value) if foreign_store(value) is not None else None
