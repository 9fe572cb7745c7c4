"""DSPy's ``pretty_print_history`` (``dspy/utils/inspect_history.py``, DSPy 3.4), for dspex's history.

The text is DSPy's, byte for byte, so that ``dspex.inspect_history(n)`` reads as
``dspy.inspect_history(n)`` for the same calls (tests/parity compares them): three blank lines,
the timestamp in blue, each message's role in red and its content stripped (text parts, and
placeholders for images, audio and files), tool calls, the first completion in green and the
count of the others. Only where colors come from differs: the caller decides (see
:func:`dspex_core._history.inspect_history`).
"""

from __future__ import annotations

import json
import sys
from contextlib import suppress
from typing import Any, TextIO


def _green(text: str, end: str = "\n", *, use_colors: bool = True) -> str:
    if use_colors:
        return "\x1b[32m" + str(text).lstrip() + "\x1b[0m" + end
    return str(text).lstrip() + end


def _red(text: str, end: str = "\n", *, use_colors: bool = True) -> str:
    if use_colors:
        return "\x1b[31m" + str(text) + "\x1b[0m" + end
    return str(text) + end


def _blue(text: str, end: str = "\n", *, use_colors: bool = True) -> str:
    if use_colors:
        return "\x1b[34m" + str(text) + "\x1b[0m" + end
    return str(text) + end


def _print_tool_calls(tool_calls: Any, out: TextIO, use_colors: bool) -> None:
    if tool_calls:
        print(_red("Tool calls:", use_colors=use_colors), file=out)
    for tool_call in tool_calls or []:
        function = tool_call.get("function") or {}
        arguments = function.get("arguments")
        arguments = tool_call.get("args", tool_call.get("arguments", {})) if arguments is None else arguments
        with suppress(json.JSONDecodeError):
            arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
        shown = json.dumps(arguments, ensure_ascii=False) if isinstance(arguments, (dict, list)) else str(arguments)
        name = function.get("name") or tool_call.get("name", "<unknown>")
        print(_green(f"{name}: {shown}", use_colors=use_colors), file=out)


def _print_part(part: dict[str, Any], out: TextIO, use_colors: bool) -> None:
    """One part of a message whose content is a list (text, image, audio, file), as DSPy shows it."""
    kind = part["type"]
    if kind == "text":
        print(part["text"].strip(), file=out)
    elif kind == "image_url":
        url = part["image_url"].get("url", "")
        if "base64" in url:
            shown = f"<{url.split('base64,')[0]}base64,<IMAGE BASE 64 ENCODED({len(url.split('base64,')[1])!s})>"
        else:
            shown = f"<image_url: {url}>"
        print(_blue(shown.strip(), use_colors=use_colors), file=out)
    elif kind == "input_audio":
        audio = part["input_audio"]
        shown = f"<audio format='{audio['format']}' base64-encoded, length={len(audio['data'])}>"
        print(_blue(shown.strip(), use_colors=use_colors), file=out)
    elif kind in ("file", "input_file"):
        info = part.get("file", part.get("input_file", {}))
        shown = (f"<file: name:{info.get('filename', '')}, id:{info.get('file_id', '')}, "
                 f"data_length:{len(info.get('file_data', ''))}>")
        print(_blue(shown.strip(), use_colors=use_colors), file=out)


def pretty_print_history(history: list[dict[str, Any]], n: int = 1, file: TextIO | None = None, *,
                         colors: bool = True) -> None:
    """Print the last ``n`` entries of ``history`` (dicts with ``messages``, ``outputs``,
    ``timestamp``, and ``prompt`` for a call made without messages) as DSPy does."""
    out = file or sys.stdout
    use_colors = colors
    for item in history[-n:]:
        messages = item["messages"] or [{"role": "user", "content": item["prompt"]}]
        outputs = item["outputs"]
        timestamp = item.get("timestamp", "Unknown time")

        print("\n\n\n", file=out)
        print(_blue(f"[{timestamp}]", use_colors=use_colors), file=out)

        for msg in messages:
            print(_red(f"{msg['role'].capitalize()} message:", use_colors=use_colors), file=out)
            if isinstance(msg["content"], str):
                print(msg["content"].strip(), file=out)
            elif isinstance(msg["content"], list):
                for part in msg["content"]:
                    _print_part(part, out, use_colors)
            _print_tool_calls(msg.get("tool_calls"), out, use_colors)
            print("\n", file=out)

        if isinstance(outputs[0], dict):
            if outputs[0].get("text"):
                print(_red("Response:", use_colors=use_colors), file=out)
                print(_green(outputs[0]["text"].strip(), use_colors=use_colors), file=out)
            _print_tool_calls(outputs[0].get("tool_calls"), out, use_colors)
        else:
            print(_red("Response:", use_colors=use_colors), file=out)
            print(_green(outputs[0].strip(), use_colors=use_colors), file=out)

        if len(outputs) > 1:
            choices_text = f" \t (and {len(outputs) - 1} other completions)"
            print(_red(choices_text, end="", use_colors=use_colors), file=out)

    print("\n\n\n", file=out)
