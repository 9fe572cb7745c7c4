"""A provider wire's token counts as dspy 3.4's own engine reports them, in OpenAI's usage shape.

lm15 reads each wire's counts into one ``Usage`` (input, output, total, cache reads and writes,
reasoning, audio in and out; a count the provider did not send stays unknown) and dspy turns it
into the usage entry it records (``dspy.clients.call_result.usage_dict``): Anthropic's cache reads
and writes count as prompt tokens and its total is prompt plus completion; Gemini's thoughts count
as completion tokens and its total is the one reported. :func:`openai_usage` writes those numbers
as an OpenAI-compatible server's ``usage`` object, which the client records like any other
(:func:`dspex_core.usage.dspy_entry`: the cache writes travel as ``cache_write_tokens``, the key
lm15 reads them from in OpenAI's shape).
"""

from __future__ import annotations

from typing import Any


def count(value: Any) -> int | None:
    """A token count as lm15 keeps it: an int (an integral float made one), else unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and value >= 0 else None


def openai_usage(provider: str, *, inputs: Any, outputs: Any, total: Any = None, cache_read: Any = None,
                 cache_write: Any = None, reasoning: Any = None, input_audio: Any = None,
                 output_audio: Any = None) -> dict[str, Any] | None:
    """The usage object of a reply from ``provider``'s wire (``"anthropic"`` or ``"gemini"``), or
    ``None`` when it reported no count."""
    inputs, outputs, total = count(inputs), count(outputs), count(total)
    cache_read, cache_write, reasoning = count(cache_read), count(cache_write), count(reasoning)
    if total is None and inputs is not None and outputs is not None:
        total = inputs + outputs  # lm15's Usage sums the total when both counts are known
    if provider == "anthropic" and inputs is not None:
        inputs += (cache_read or 0) + (cache_write or 0)
        total = inputs + outputs if outputs is not None else total
    if provider == "gemini" and outputs is not None:
        outputs += reasoning or 0
    out: dict[str, Any] = {key: value for key, value in (("prompt_tokens", inputs), ("completion_tokens", outputs),
                                                         ("total_tokens", total)) if value is not None}
    prompt = {key: value for key, value in (("cached_tokens", cache_read), ("cache_write_tokens", cache_write),
                                            ("audio_tokens", count(input_audio))) if value is not None}
    completion = {key: value for key, value in (("reasoning_tokens", reasoning),
                                                ("audio_tokens", count(output_audio))) if value is not None}
    if prompt:
        out["prompt_tokens_details"] = prompt
    if completion:
        out["completion_tokens_details"] = completion
    return out or None


class StreamedCounts:
    """A stream's token counts as LiteLLM folds them (``stream_chunk_builder``) from the usage its
    events report, each written by :func:`openai_usage`: the prompt and the completion count are
    each the last one reported above 0 (or the first reported, when all are 0), the total their
    sum; the details are the last event's. :attr:`usage` is ``None`` until both counts were
    reported (LiteLLM counts a missing one with its tokenizer, which is not done natively)."""

    def __init__(self) -> None:
        self.prompt: int | None = None
        self.completion: int | None = None
        self._details: dict[str, Any] = {}

    def add(self, usage: dict[str, Any] | None) -> None:
        """One event's usage (``None``: the event reported none)."""
        if not usage:
            return
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if prompt is not None and (prompt > 0 or self.prompt is None):
            self.prompt = prompt
        if completion is not None and (completion > 0 or self.completion is None):
            self.completion = completion
        self._details = {key: value for key, value in usage.items() if key.endswith("_details")}

    @property
    def usage(self) -> dict[str, Any] | None:
        if self.prompt is None or self.completion is None:
            return None
        return {"prompt_tokens": self.prompt, "completion_tokens": self.completion,
                "total_tokens": self.prompt + self.completion, **self._details}
