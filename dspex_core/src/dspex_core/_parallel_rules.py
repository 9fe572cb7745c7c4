"""The rules of the ``parallel`` module type (DSPy's ``Parallel``), one copy for every backend.

The options are ``dspy.Parallel``'s, with its defaults except ``disable_progress_bar`` (on: a
library call draws nothing unless asked). ``None`` for ``num_threads``/``max_errors`` means
DSPy's settings defaults, fixed here (8 and 10) rather than read from anywhere, so that every
backend runs the same way whatever dspy was configured with. A call's inputs are
``{"examples": [...], "num_threads": n}`` (``dspy.Parallel.forward``'s arguments).

DSPy calls ``module(**example)`` for a dict and ``module(**example.inputs())`` for an
``Example``, or, with ``access_examples=False``, hands the ``Example`` over whole; a dspex
module takes named inputs only, so "whole" means every field of the example (its labels too).
An ``Example`` without inputs marked, a tuple or anything else is refused before any call,
naming the example, instead of failing on its own call as in dspy: the mistake is the
caller's, and no LM call should be spent before it is reported.

Every mistake is an :class:`~dspex_core.errors.InputError` naming the option or the example,
with the same words whichever backend runs the module. Backends use this module as
``dspex_core.backend.parallel_rules``.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core._example import Example, example_of
from dspex_core.errors import InputError

DEFAULT_NUM_THREADS = 8  # dspy.settings.num_threads
DEFAULT_MAX_ERRORS = 10  # dspy.settings.max_errors
#: dspy.Parallel's options, with the defaults ``create`` uses.
DEFAULTS: Mapping[str, Any] = {
    "num_threads": None, "max_errors": None, "access_examples": True, "return_failed_examples": False,
    "provide_traceback": None, "disable_progress_bar": True, "timeout": 120, "straggler_limit": 3,
}
#: What a call may pass: ``num_threads`` (as ``dspy.Parallel.forward``) and the call options
#: handed on to every call of the wrapped module.
CALL_OPTIONS = ("num_threads", "lm", "config", "demos")
FORWARDED = ("lm", "config", "demos")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_num_threads(value: Any) -> int:
    """``num_threads`` as a count of workers (``None``: DSPy's default)."""
    if value is None:
        return DEFAULT_NUM_THREADS
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"parallel's num_threads must be a positive integer (or None for {DEFAULT_NUM_THREADS}, "
                         f"DSPy's default), got {value!r}")
    return value


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Every option, checked and with the defaults resolved (``num_threads``, ``max_errors``,
    ``provide_traceback`` are never ``None`` in the result)."""
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise InputError(f"parallel got unknown option(s) {', '.join(map(repr, unknown))}; "
                         f"accepted: {', '.join(DEFAULTS)}")
    values = {**DEFAULTS, **options}
    values["num_threads"] = check_num_threads(values["num_threads"])
    limit = values["max_errors"]
    if limit is None:
        values["max_errors"] = DEFAULT_MAX_ERRORS
    elif not _number(limit) or limit < 0:
        raise InputError(f"parallel's max_errors must be a non-negative number (or None for {DEFAULT_MAX_ERRORS}, "
                         f"DSPy's default), got {limit!r}")
    for name in ("access_examples", "return_failed_examples", "disable_progress_bar"):
        if not isinstance(values[name], bool):
            raise InputError(f"parallel's {name} must be True or False, got {values[name]!r}")
    traceback = values["provide_traceback"]
    if traceback is not None and not isinstance(traceback, bool):
        raise InputError(f"parallel's provide_traceback must be True, False or None, got {traceback!r}")
    values["provide_traceback"] = bool(traceback)
    if not _number(values["timeout"]):
        raise InputError(f"parallel's timeout must be a number of seconds (0 or less: never run a straggler "
                         f"again), got {values['timeout']!r}")
    limit = values["straggler_limit"]
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise InputError(f"parallel's straggler_limit must be a non-negative integer, got {limit!r}")
    return values


def check_call_options(options: Mapping[str, Any]) -> tuple[int | None, dict[str, Any]]:
    """``(num_threads for this call or None, the options for every call of the wrapped module)``."""
    unknown = sorted(set(options) - set(CALL_OPTIONS))
    if unknown:
        raise InputError(f"parallel got unknown call option(s) {', '.join(map(repr, unknown))}; "
                         f"accepted: {', '.join(CALL_OPTIONS)}")
    threads = options.get("num_threads")
    return (check_num_threads(threads) if threads is not None else None,
            {key: options[key] for key in FORWARDED if key in options})


def call_threads(option: int | None, asked: Any) -> int | None:
    """A call's ``num_threads``: the call option's, or the one given beside the examples."""
    if asked is None:
        return option
    if option is not None:
        raise InputError("parallel got num_threads twice, as a call option and beside the examples; give it once")
    return check_num_threads(asked)


def examples_of(inputs: Any) -> tuple[Any, Any]:
    """``(examples, num_threads or None)`` of a call's inputs: ``dspy.Parallel.forward``'s
    arguments, so that ``ref(examples=[...], num_threads=4)`` works as in DSPy."""
    if not isinstance(inputs, Mapping) or "examples" not in inputs or not set(inputs) <= {"examples", "num_threads"}:
        got = sorted(inputs) if isinstance(inputs, Mapping) else type(inputs).__name__
        raise InputError(f"parallel's inputs are {{'examples': [...]}} (dicts of inputs or dspex.Example objects) "
                         f"and optionally 'num_threads', got {got}")
    examples = inputs["examples"]
    if not isinstance(examples, (list, tuple)):
        raise InputError(f"parallel's examples must be a list of dicts or dspex.Example objects, "
                         f"got {type(examples).__name__}")
    return examples, inputs.get("num_threads")


def _named(index: int, fields: dict[str, Any]) -> dict[str, Any]:
    for key in fields:
        if not isinstance(key, str):
            raise InputError(f"examples[{index}] has a field named {key!r}; input names are strings")
    return fields


def call_inputs(examples: Any, access_examples: bool) -> list[dict[str, Any]]:
    """One dict of inputs per example, in order."""
    out = []
    for index, example in enumerate(examples):
        read = example_of(example)  # a dspy.Example is read as a dspex one
        example = read if read is not None else example
        if isinstance(example, Example):
            if not access_examples:
                out.append(_named(index, example.toDict()))
            elif example.input_keys is None:
                raise InputError(f"examples[{index}] is an Example without inputs marked: call "
                                 f".with_inputs('field', ...) on it (or create the parallel module with "
                                 f"access_examples=False to pass all its fields)")
            else:
                out.append(_named(index, example.inputs().toDict()))
        elif isinstance(example, Mapping):
            out.append(_named(index, dict(example)))
        else:
            raise InputError(f"examples[{index}] is a {type(example).__name__}; parallel takes dicts of inputs "
                             f"or dspex.Example objects")
    return out
