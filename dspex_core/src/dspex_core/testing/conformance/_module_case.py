"""The case of a module type whose run is more than one predictor call: agents and wrappers.

``predict`` and ``chain_of_thought`` cases (:class:`~._cases.LMCase`) are a signature and a
list of replies. The agents and the wrappers need more: tools or completions or a wrapped
module, and an LM that answers each *kind* of request it is sent (a ``react`` step, the
extraction, Refine's advice request, a code step), because the order of kinds depends on the
earlier replies. A :class:`ModuleCase` holds that as plain data and knows three things:

* :meth:`ModuleCase.script`: a fresh reply function for one run (every run, backend or
  reference, starts from the same script, so both get the same answers to the same requests);
* :meth:`ModuleCase.make`: the spec and options of one run, made inside the run's session on
  the backend under test (a wrapper's module is created there, through the public API);
* :attr:`ModuleCase.masks`: the known differences the comparison removes (:mod:`._masks`),
  named so that a report says what was not compared.

:attr:`ModuleCase.unordered` marks runs whose requests come from several threads at once
(``parallel`` with ``num_threads > 1``, an optimizer evaluating in threads): the requests are
then compared as a multiset.

Most cases run as ``dspex_core.create`` then ``dspex_core.execute``. A case whose module type is
not executed says what a run does instead, still through the public API only: ``perform(ref,
inputs, **call_options)`` (and ``aperform``), named by :attr:`ModuleCase.operation` in reports and
telemetry (an optimizer case compiles a program and reads the saved result); a case that talks
to something besides the LM (a retriever's server) returns what it was sent from
``source_requests()``. :mod:`._outcome` looks for these.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any, Callable

from dspex_core.testing._recording_lm import RecordingLM


class ModuleCase:
    """A case for an agent or a wrapper; subclasses fill in the three methods."""

    module_type = ""
    #: the known differences removed before comparing (``_masks.Mask`` values)
    masks: tuple[Any, ...] = ()
    #: the public call a run makes after ``create`` (its telemetry route's ``operation``)
    operation = "execute"
    #: whether ``ref.render`` shows the request a run sends (one request, nothing around it), so the
    #: contract's ``module_ref`` check compares them where the backend renders
    rendered = False

    def __init__(self, module_type: str, inputs: dict[str, Any], create_options: dict[str, Any] | None = None,
                 call_options: dict[str, Any] | None = None):
        self.module_type = module_type
        self.inputs = inputs
        self.create_options = create_options or {}
        self.call_options = call_options or {}

    @property
    def unordered(self) -> bool:
        """Whether the run's requests may reach the LM in any order (compared as a multiset)."""
        return False

    def script(self) -> Callable[[list[dict[str, Any]], dict[str, Any]], str]:
        """A fresh reply function for one run."""
        raise NotImplementedError

    def pure_script(self) -> Callable[[list[dict[str, Any]], dict[str, Any]], str] | None:
        """Replies that depend on the request alone (for the thread-safety check), or ``None``
        when the module type's runs cannot be shared between threads meaningfully."""
        return None

    def make(self, backend: str, lm: RecordingLM) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """``(spec, create options, call options)`` of one run on ``backend`` with ``lm`` (``None``:
        no LM given anywhere, for the contract's no-LM check)."""
        return self.spec(), with_lm(self.create_options, lm), dict(self.call_options)

    def spec(self) -> Any:
        raise NotImplementedError

    @contextlib.contextmanager
    def context(self) -> Any:
        """Loops print their failed attempts, ``parallel`` logs every failed example: keep the test
        output clean (what is compared is the outcome, not the chatter)."""
        import logging

        previous = logging.root.manager.disable
        logging.disable(logging.CRITICAL)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                yield
        finally:
            logging.disable(previous)

    def _repr_lines(self) -> list[str]:
        return []

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.module_type!r},", *(f"  {line}" for line in self._repr_lines()),
                 f"  inputs={self.inputs!r},"]
        if self.create_options:
            lines.append(f"  create_options={self.create_options!r},")
        if self.call_options:
            lines.append(f"  call_options={self.call_options!r},")
        return "\n".join(lines) + ")"


class Queues:
    """Replies by kind of request, each kind in turn, with a default when a kind runs out.

    ``kind(messages) -> str`` names the kind of a request; ``queues`` maps kinds to lists of
    replies and ``defaults`` kinds to the reply given once its list is empty (a kind with no
    default then raises, as a scripted LM that ran out does)."""

    def __init__(self, kind: Callable[[list[dict[str, Any]]], str], queues: dict[str, list[str]],
                 defaults: dict[str, str] | None = None):
        self._kind = kind
        self._queues = {k: list(v) for k, v in queues.items()}
        self._defaults = defaults or {}

    def __call__(self, messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
        kind = self._kind(messages)
        queue = self._queues.get(kind)
        if queue:
            return queue.pop(0)
        if kind in self._defaults:
            return self._defaults[kind]
        from dspex_core.testing._recording_lm import ScriptExhausted

        raise ScriptExhausted(f"the script has no {kind} reply left")


def made_on(backend: str, module_type: str) -> str | None:
    """Where a case makes the module its module type works on (an optimizer's program, a
    ``retrieve``'s ``colbert_v2``): the backend under test when it serves that type, else the
    router's pick (``None``), since a backend of optimizers or retrievers alone works on other
    backends' modules."""
    from dspex_core import registry

    return backend if registry.lookup(backend, module_type) is not None else None


def with_lm(options: dict[str, Any], lm: Any) -> dict[str, Any]:
    """``options`` plus ``lm=lm`` unless ``lm`` is ``None``."""
    return {**options, "lm": lm} if lm is not None else dict(options)


def hashed_value(annotation: Any, h: int) -> Any:
    """A value of type ``annotation`` chosen by the number ``h`` (text for a type the kit does not
    generate): a scripted LM's answer that is a function of its request."""
    import typing

    if annotation is bool:
        return h % 2 == 0
    if annotation is int:
        return h % 997
    if annotation is float:
        return (h % 997) / 8
    if annotation == list[str]:
        return [f"x{h}"]
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)[h % len(typing.get_args(annotation))]
    return f"value {h}"


def echo_fields(fields: list[Any], messages: list[dict[str, Any]]) -> str:
    """A well-formed chat reply for ``fields`` (``FieldSpec`` values) whose values depend on the
    request alone, so that concurrent runs get the answers sequential runs get."""
    import json
    import zlib

    from dspex_core.testing._strategies_values import reply_text

    h = zlib.crc32(json.dumps(messages, sort_keys=True, default=str).encode())
    parts = [f"[[ ## {f.name} ## ]]\n{reply_text(f.annotation, hashed_value(f.annotation, h))}" for f in fields]
    return "\n\n".join(parts) + "\n\n[[ ## completed ## ]]"


def is_json_request(messages: list[dict[str, Any]]) -> bool:
    """Whether the request asks for a JSON object (DSPy's JSONAdapter, or its retry after a chat reply)."""
    return "Outputs will be a JSON object" in messages[0]["content"]
