"""``OfflineLM``: a deterministic stand-in language model that needs no network.

It is **not a real model** and knows nothing: it reads the request the way DSPy's adapters
write it and fills every requested output field with a well-typed placeholder built from the
words of the inputs. Demos, tutorials, smoke tests and benchmarks use it to run any program
end to end on a machine without an LM. It is only ever used when passed explicitly
(``dspex.configure(lm=dspex.OfflineLM())``); nothing in dspex falls back to it.

Understood request formats (the last user message decides):

* DSPy's ChatAdapter: "Respond with the corresponding output fields, starting with the field
  `[[ ## x ## ]]` ..." -> ``[[ ## x ## ]]`` sections, then ``[[ ## completed ## ]]``;
* DSPy's JSONAdapter: "Respond with a JSON object in the following order of fields: `x` ..."
  -> a JSON object.

Types are read from the prompt ("(must be formatted as a valid Python list[str])", the JSON
schema notes in the system message): ``str`` gets a short sentence derived from the inputs (a
step sentence for ``reasoning``), ``list[str]`` keywords from the inputs, ``int``/``float``/``bool``
valid numbers, ``Literal[...]`` its first option, models a value matching their schema. Any
other request gets a plain sentence. Same messages in, same reply out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dspex_core._offline_values import ValueMaker, is_builtin, parse_type

CHAT_MARKER = "Respond with the corresponding output fields, starting with the field "
JSON_MARKER = "Respond with a JSON object in the following order of fields: "
_TYPE_PREFIX = " (must be formatted as a valid Python "
_TOOL_CALLS_PREFIX = " (must be a JSON object like "
_HEADER = re.compile(r"^\[\[ ## \w+ ## \]\]\s*$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*[A-Za-z0-9]|[A-Za-z]")
_SCHEMA_NOTE = "        # note: the value you produce must adhere to the JSON schema: "
_ENUM_NOTE = "        # note: the value you produce must be one of: "

#: Words too common to say anything about the inputs.
_STOPWORDS = frozenset("""a an and are as at be by can do does for from had has have how i if in into is it its
of on or so than that the their them then there these they this to was were what when where which who why will
with would you your n/a none""".split())


def _text(content: Any) -> str:
    """Message content as text (OpenAI content parts are joined)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def _balanced(text: str, start: int) -> str:
    """The text from ``start`` up to the ``)`` closing an already-open parenthesis."""
    depth, quote, i = 0, "", start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return text[start:i]
            depth -= 1
        i += 1
    return text[start:]


def _requested_fields(request: str, json_mode: bool) -> list[tuple[str, str]]:
    """``[(field, type string)]`` in the order the request lists them."""
    pattern = re.compile(r"`(\w+)`" if json_mode else r"`\[\[ ## (\w+) ## \]\]`")
    fields = []
    for match in pattern.finditer(request):
        name = match.group(1)
        if name == "completed":
            continue
        rest = request[match.end():]
        if rest.startswith(_TYPE_PREFIX):
            fields.append((name, _balanced(rest, len(_TYPE_PREFIX))))
        elif rest.startswith(_TOOL_CALLS_PREFIX):
            fields.append((name, "ToolCalls"))
        else:
            fields.append((name, "str"))
    return fields


def _notes(system: str, name: str, note: str) -> list[str]:
    """What follows ``{name}`` + ``note`` in the system message, as written and JSON-unescaped
    (the JSONAdapter prints its notes inside JSON strings)."""
    marker = "{" + name + "}" + note
    found = []
    for text in (system, system.replace('\\"', '"')):
        at = text.find(marker)
        if at >= 0:
            found.append(text[at + len(marker):])
    return found


def _schema(system: str, name: str) -> dict | None:
    for rest in _notes(system, name, _SCHEMA_NOTE):
        try:
            value, _ = json.JSONDecoder().raw_decode(rest)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _enum_first(system: str, name: str) -> str | None:
    for rest in _notes(system, name, _ENUM_NOTE):
        line = rest.split("\n", 1)[0].rstrip('",')
        if line:
            return line.split("; ", 1)[0]
    return None


def _keywords(text: str, limit: int = 8) -> list[str]:
    seen: list[str] = []
    for word in _WORD.findall(text):
        lowered = word.lower()
        if lowered not in _STOPWORDS and lowered not in seen and len(lowered) > 1:
            seen.append(lowered)
            if len(seen) == limit:
                break
    return seen


def _format_chat_value(value: Any) -> str:
    """As DSPy's ``format_field_value`` writes an output: JSON for lists/dicts, ``str`` otherwise."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class OfflineLM:
    """A deterministic, offline stand-in for a language model. **Not a real model.**

    Implements the custom-LM protocol (``__call__`` and ``acall``); see the module docstring
    for what it answers. ``model`` is ``"dspex/offline"`` so traces and reports show plainly
    that no real model was involved.
    """

    model = "dspex/offline"

    def __call__(self, messages: list[dict[str, Any]], **settings: Any) -> list[str]:
        n = settings.get("n")
        n = 1 if n is None else n
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            from dspex_core.errors import InputError

            raise InputError(f"n must be a positive integer, got {n!r}")
        return [self.reply(messages)] * n

    async def acall(self, messages: list[dict[str, Any]], **settings: Any) -> list[str]:
        return self(messages, **settings)

    def reply(self, messages: list[dict[str, Any]]) -> str:
        """The one completion for ``messages``."""
        if not isinstance(messages, list):
            from dspex_core.errors import InputError

            raise InputError("messages must be a list of {'role': ..., 'content': ...} dicts")
        system = "\n".join(_text(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") == "system")
        users = [_text(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        last = users[-1] if users else ""
        for marker, json_mode in ((CHAT_MARKER, False), (JSON_MARKER, True)):
            at = last.rfind(marker)
            if at >= 0:
                inputs, request = last[:at], last[at + len(marker):]
                fields = _requested_fields(request, json_mode)
                if fields:
                    return self._fields_reply(system, inputs, fields, json_mode)
        maker = ValueMaker(_keywords(last), last)
        return f"This is an offline stand-in reply (no real model): {maker.sentence('reply')}"

    def _fields_reply(self, system: str, inputs: str, fields: list[tuple[str, str]], json_mode: bool) -> str:
        maker = ValueMaker(_keywords(_HEADER.sub(" ", inputs)), inputs)
        values: dict[str, Any] = {}
        for name, type_text in fields:
            node = parse_type(type_text)
            if is_builtin(node):
                values[name] = maker.value(name, node)
                continue
            enum_value = _enum_first(system, name)
            schema = _schema(system, name) if enum_value is None else None
            if enum_value is not None:
                values[name] = enum_value
            elif schema is not None:
                values[name] = maker.from_schema(name, schema, schema.get("$defs", {}))
            else:
                values[name] = maker.value(name, node)
        if json_mode:
            return json.dumps(values, indent=2, ensure_ascii=False)
        sections = [f"[[ ## {name} ## ]]\n{_format_chat_value(value)}" for name, value in values.items()]
        return "\n\n".join(sections) + "\n\n[[ ## completed ## ]]"

    def __repr__(self) -> str:
        return "OfflineLM(model='dspex/offline')"



__all__ = ["OfflineLM"]
