"""``dspex.History``: the conversation so far, given to a predictor as one input field.

DSPy's ``dspy.History`` without pydantic. A signature with an input field of this type (or of
``dspy.History`` itself) has its earlier turns sent as real chat messages: each message (a dict
keyed by the signature's field names) becomes a user message of its inputs and an assistant
message of its outputs, between the demos and the current request, as DSPy's adapters do.
Like DSPy's it is frozen, takes only ``messages``, and strips the whitespace around the keys.
"""

from __future__ import annotations

from typing import Any

from dspex_core.errors import InputError


class History:
    """A conversation: ``History(messages=[{"question": ..., "answer": ...}, ...])``."""

    __slots__ = ("messages",)
    messages: list[dict[str, Any]]

    def __init__(self, messages: Any) -> None:
        if not isinstance(messages, (list, tuple)):
            raise InputError(f"History(messages=...) takes a list of dicts (one per turn, keyed by field name), "
                             f"got {type(messages).__name__}")
        checked = []
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                raise InputError(f"History messages[{index}] must be a dict keyed by field name, "
                                 f"got {type(message).__name__}")
            for key in message:
                if not isinstance(key, str):
                    raise InputError(f"History messages[{index}] has the key {key!r}; keys are field names (str)")
            checked.append({key.strip(): value for key, value in message.items()})
        object.__setattr__(self, "messages", checked)

    @classmethod
    def of(cls, value: Any) -> History:
        """``value`` as a :class:`History`: itself, or a ``dspy.History`` (or any object with a
        ``messages`` list) copied; anything else is an :class:`InputError`."""
        if isinstance(value, cls):
            return value
        messages = getattr(value, "messages", None)
        if isinstance(messages, list):
            return cls(messages)
        raise InputError(f"a History field takes dspex.History(messages=[...]) (or a dspy.History), "
                         f"got {type(value).__name__}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("History is frozen; make a new one: History(messages=[...])")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, History) and other.messages == self.messages

    __hash__ = None  # type: ignore[assignment]  # holds dicts, as DSPy's

    def __repr__(self) -> str:
        return f"History(messages={self.messages!r})"

    def toDict(self) -> dict[str, Any]:  # noqa: N802 - the name Example and Prediction use
        """``{"messages": [...]}``, as DSPy serializes a History (pydantic's ``model_dump``)."""
        return {"messages": [dict(m) for m in self.messages]}


def is_history_type(annotation: Any) -> bool:
    """Whether ``annotation`` is :class:`History` or DSPy's ``dspy.History`` (recognised by its
    module and name, without importing dspy)."""
    if annotation is History:
        return True
    return (isinstance(annotation, type) and annotation.__name__ == "History"
            and getattr(annotation, "__module__", "").startswith("dspy."))
