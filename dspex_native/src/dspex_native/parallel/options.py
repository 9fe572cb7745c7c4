"""Checking ``parallel``'s options once, at create (``num_threads`` again when a call overrides it).

The options are ``dspy.Parallel``'s, with its defaults except ``disable_progress_bar`` (on:
a library call draws nothing unless asked). ``None`` for ``num_threads``/``max_errors`` means
DSPy's settings defaults, fixed here (8 and 10) rather than read from anywhere, so that both
backends run the same way whatever dspy was configured with. Every mistake is an
:class:`~dspex_core.errors.InputError` naming the option, raised before any example runs; the
dspy backend checks with the same rules and words.
"""

from __future__ import annotations

from typing import Any, Mapping

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
