"""DSPy's ``DummyLM``: scripted replies for tests, written in the adapter's own format.

Three modes, as DSPy's: a list of answer dicts (one per completion, in order; then
``{"answer": "No more responses"}``), a dict from a text found in the last message to an
answer dict, or ``follow_examples=True`` (the reply of the demo whose input the last message
repeats). ``reasoning=True`` adds ``reasoning_content``. It is a custom LM, so dspex calls it
like any custom LM object and its history is kept on it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dspex_compat._adapters import ChatAdapter, FieldInfoWithName, header_pattern
from dspex_compat._dotdict import dotdict
from dspex_compat._fields import OutputField
from dspex_compat._lm import BaseLM

__all__ = ["DummyLM"]


class DummyLM(BaseLM):
    """Dummy language model for unit tests (DSPy's ``dspy.utils.DummyLM``)."""

    def __init__(self, answers: list[dict[str, Any]] | dict[str, dict[str, Any]], follow_examples: bool = False,
                 reasoning: bool = False, adapter: Any = None):
        super().__init__("dummy", "chat", 0.0, 1000, True)
        self.answers = iter(answers) if isinstance(answers, list) else answers
        self.follow_examples = follow_examples
        self.reasoning = reasoning
        self.adapter = adapter if adapter is not None else ChatAdapter()

    def _use_example(self, messages: list[dict[str, Any]]) -> Any:
        fields: dict[str, int] = defaultdict(int)
        field_header_pattern = header_pattern()
        for message in messages:
            if "content" in message:
                if match := field_header_pattern.match(message["content"]):
                    fields[message["content"][match.start():match.end()]] += 1
        max_count = max(fields.values())
        output_fields = [field for field, count in fields.items() if count != max_count]
        final_input = messages[-1]["content"].split("\n\n")[0]
        for input_, output in zip(reversed(messages[:-1]), reversed(messages), strict=False):
            if any(field in output["content"] for field in output_fields) and final_input in input_["content"]:
                return output["content"]
        return None

    def _format_answer_fields(self, field_names_and_values: dict[str, Any]) -> str:
        fields_with_values = {FieldInfoWithName(name=name, info=OutputField()): value
                              for name, value in field_names_and_values.items()}
        try:
            return self.adapter.format_field_with_value(fields_with_values, role="assistant")
        except TypeError:
            return self.adapter.format_field_with_value(fields_with_values)

    def _complete(self, messages: list[dict[str, Any]]) -> str:
        if self.follow_examples:
            return self._use_example(messages) or ""
        if isinstance(self.answers, dict):
            return next((self._format_answer_fields(v) for k, v in self.answers.items()
                         if k in messages[-1]["content"]), "No more responses")
        return self._format_answer_fields(next(self.answers, {"answer": "No more responses"}))

    def forward(self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
        if messages is None:
            messages = [{"role": "user", "content": prompt or ""}]
        count = kwargs.get("n") or 1
        choices = []
        for _ in range(count):
            message = dotdict(role="assistant", content=self._complete(messages))
            if self.reasoning:
                message["reasoning_content"] = "Some reasoning"
            choices.append(dotdict(index=len(choices), message=message, finish_reason="stop"))
        return dotdict(id=None, model="dummy", choices=choices,
                       usage=dotdict(prompt_tokens=0, completion_tokens=0, total_tokens=0))

    def get_convo(self, index: int) -> tuple[Any, Any]:
        """The messages and the outputs of the ``index``-th call."""
        return self.history[index]["messages"], self.history[index]["outputs"]
