"""The exceptions dspex raises, in one place so that callers can catch them by kind.

Two families matter to the router:

* :class:`InputError` and its subclasses are the *user's* mistakes (a malformed signature,
  a missing input, an unknown module type). Falling back to another backend would fail
  the same way, so the router never does.
* :class:`LMError` and :class:`AdapterParseError` describe what the language model did.
  Another backend would send the same request and get the same reply, so they are not
  retried on another backend either; nor is :class:`SandboxLimitError` (the code the LM wrote
  would run past the limit there too).

Anything else raised by a backend (``NotImplementedError``, :class:`CapabilityError`, an
internal bug) is the backend's own failure, and with ``allow_fallback`` the router tries
the next candidate.
"""

from __future__ import annotations

from typing import Any

from dspex_core._escape import escape_controls


class DspexError(Exception):
    """Base class of every error dspex raises on purpose."""


class InputError(DspexError, ValueError):
    """The caller's input is wrong; no backend could do better."""


class InputWarning(UserWarning):
    """A call's input was accepted, but part of it is ignored: a name the module's signature does
    not have (DSPy warns the same way). ``warnings.simplefilter("error", InputWarning)`` makes it
    an error; a misspelt or missing input is always an :class:`InputError`."""


class SignatureError(InputError):
    """A signature string or class is malformed.

    ``position`` is the 0-based character offset in the string where the problem was found
    (``None`` for class-based signatures), ``rule`` says which rule was broken.
    """

    def __init__(self, message: str, *, spec: str | None = None, position: int | None = None, rule: str = ""):
        self.spec = spec
        self.position = position
        self.rule = rule
        if spec is not None and position is not None:
            message = f"{message}\n  {spec}\n  {' ' * position}^ (position {position})"
        super().__init__(message)


class ConfigError(InputError):
    """A configuration key or value is not valid."""


class UnknownModuleTypeError(InputError, LookupError):
    """No module type of that name exists; the message lists the known ones."""


class BackendNotInstalledError(InputError, LookupError):
    """A backend was asked for by name but is not installed; the message lists what is."""


class UnknownPredictorError(InputError, KeyError):
    """A loaded program has no predictor of that name; the message lists the names it has.

    A ``KeyError`` too, so that a program's mapping interface (``in``, ``get``) works as any
    mapping's; its text is the message itself, not ``KeyError``'s quoted key."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ModuleTypeNotServedError(DspexError, LookupError):
    """The module type exists, but no installed backend (or not the forced one) serves it."""


class CapabilityError(DspexError, NotImplementedError):
    """A backend was asked for something it does not implement yet.

    Backends raise it (or plain ``NotImplementedError``) so that the router can fall back
    to another backend when ``allow_fallback`` is on.
    """


class PluginError(DspexError):
    """A plugin failed to load or to register (recorded on the registry, never fatal), or broke the
    backend contract at run time: an ``execute`` that returned something other than a
    ``Prediction``, an executor that lost results. Then it is raised to the caller, naming the
    backend or executor; as the backend's own failure, it lets the router fall back.
    """


class SessionError(DspexError):
    """A module reference was used after its session ended, or a session misbehaved."""


class LMError(DspexError):
    """A language-model call failed after its retries.

    The message names the model, the last status and the number of attempts; it never
    contains credentials.
    """

    def __init__(self, message: str, *, model: str = "", status: int | None = None, attempts: int = 0):
        self.model = model
        self.status = status
        self.attempts = attempts
        super().__init__(message)


class ContextWindowExceededError(LMError):
    """The request did not fit the model's context window (the provider said so).

    Agents that keep a growing trajectory (ReAct) catch it, drop the oldest step and try
    again, as DSPy does; a custom LM object may raise it to say the same.
    """


class LMTimeoutError(LMError, TimeoutError):
    """An LM call ran out of time: the LM's ``timeout`` bounds the whole call (every attempt, a
    reply still arriving, the waits between attempts), on every backend; a module call's
    ``timeout=`` bounds every LM call it makes. A ``TimeoutError`` too, so code that catches
    the standard class catches it.

    ``attempts`` counts the attempts made, ``status`` is the last HTTP status (``None`` when
    no reply came); the message names the model and the timeout.
    """


class SandboxLimitError(DspexError, RuntimeError):
    """Code an LM wrote ran past a limit of the sandbox running it and was stopped, on every
    backend: ``limit`` is the option (``"sandbox_timeout"``, ``"sandbox_memory_mb"``) and
    ``value`` its value. The sandbox's process was ended; the next call starts a fresh one.
    """

    def __init__(self, message: str, *, limit: str, value: Any):
        self.limit = limit
        self.value = value
        super().__init__(message)


class AdapterParseError(DspexError, ValueError):
    """The LM's reply could not be parsed into the signature's output fields.

    ``raw`` keeps the reply text exactly as received, so nothing is lost. The message quotes it
    (and may quote parts of it) with the characters that could rewrite a terminal escaped
    (``\\x1b``, ``\\r``, ``\\u202e``; newlines and tabs kept): see :mod:`dspex_core._escape`.
    """

    def __init__(self, message: str, *, raw: str = "", lm_calls: int = 0, details: Any = None):
        self.raw = raw
        self.lm_calls = lm_calls
        self.details = details
        super().__init__(escape_controls(f"{message}\n\nLM reply:\n{raw}" if raw else str(message)))


class EvaluationError(InputError):
    """An evaluation stopped: the program or the metric failed on ``max_errors`` examples.

    ``errors`` lists ``(devset index, exception)`` in devset order. Every backend raises this
    class, so a caller's ``except`` does not depend on who ran the evaluation. A ``parallel``
    run stopped by ``max_errors`` (DSPy's ``Parallel`` and ``Evaluate`` share the rule) raises
    it too, with ``(example index, exception)``.
    """

    def __init__(self, message: str, errors: list[tuple[int, BaseException]]):
        self.errors = errors
        super().__init__(message)


class BudgetExceededError(DspexError):
    """A ``dspex.track_usage(budget_usd=..., budget_tokens=...)`` block's spend already reached
    its budget, so the next LM call was not made (no request was sent). ``budget`` and ``spent``
    say which limit (``"usd"`` or ``"tokens"``) and how much was spent. Never retried, never a
    reason to fall back: another backend would spend the same money."""

    def __init__(self, message: str, *, kind: str, budget: float, spent: float):
        self.kind = kind
        self.budget = budget
        self.spent = spent
        super().__init__(message)


class StepError(DspexError):
    """A pipeline step failed; ``state`` holds everything computed before it."""

    def __init__(self, message: str, *, step: int, step_name: str, state: dict[str, Any], results: list[Any]):
        self.step = step
        self.step_name = step_name
        self.state = state
        self.results = results
        super().__init__(message)


#: Errors that a fallback to another backend cannot fix.
NO_FALLBACK_ERRORS: tuple[type[BaseException], ...] = (InputError, LMError, AdapterParseError, SessionError,
                                                    SandboxLimitError, BudgetExceededError)


def allows_fallback(error: BaseException) -> bool:
    """Whether ``error`` is the backend's own failure (and so worth trying elsewhere)."""
    return isinstance(error, Exception) and not isinstance(error, NO_FALLBACK_ERRORS)
