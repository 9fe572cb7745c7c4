"""Helpers shared by the dspy backend's tests."""

from __future__ import annotations

import json
from typing import Any

import dspex_core as dspex


def chat(**fields: Any) -> str:
    """An LM reply in DSPy's ChatAdapter format: one ``[[ ## name ## ]]`` section per field."""
    parts = []
    for name, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(f"[[ ## {name} ## ]]\n{text}")
    return "\n\n".join(parts + ["[[ ## completed ## ]]"])


def dspy_ref(module_type: str, spec: Any = None, **options: Any) -> Any:
    """Create a module on the dspy backend explicitly."""
    return dspex.create(module_type, spec, implementation="dspy", **options)


class PlainLM:
    """A dspy.BaseLM written the way a plain-dspy user would (not dspex's CustomLM).

    Used where a test must show that plain dspy, without dspex, sends the same messages.
    """

    def __new__(cls, replies: list[str]):
        import dspy

        class _Plain(dspy.BaseLM):
            def __init__(self) -> None:
                super().__init__(model="plain/test", cache=False)
                self.kwargs = {}
                self.replies = list(replies)
                self.messages: list[Any] = []

            def forward(self, prompt=None, messages=None, **kwargs):
                self.messages.append(messages)
                text = self.replies.pop(0)
                return {"model": "plain/test", "usage": {},
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": text}}]}

        return _Plain()
