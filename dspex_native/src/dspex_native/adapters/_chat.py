"""DSPy 3.4's ChatAdapter, precompiled per signature.

Everything that depends only on the signature (the system message, the reply reminder, the
field tables used when parsing) is built once in :class:`ChatFormat`'s constructor and
cached per signature by :func:`chat_format`; demos are rendered once per module by
:meth:`ChatFormat.demo_messages`. A call then only renders the user message, and parsing
walks the reply's lines once.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from dspex_core.backend import LRUCache, allows_none, cleandoc, is_tool_calls_type
from dspex_core.errors import AdapterParseError

from dspex_native.adapters._coerce import coercer
from dspex_native.adapters._content_parts import takes_images
from dspex_native.adapters._conversation import history_field
from dspex_native.adapters._tool_calls import DESCRIPTION as TOOL_CALLS_DESCRIPTION, REMINDER as TOOL_CALLS_REMINDER
from dspex_native.adapters._tool_inputs import takes_tools
from dspex_native.adapters._types import annotation_name, check_supported, is_reasoning_type, type_note
from dspex_native.adapters._values import format_value

_HEADER = re.compile(r"\[\[ ## (\w+) ## \]\]")
# str.splitlines breaks lines at these too; a reply without them splits on "\n" only.
_OTHER_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_INCOMPLETE_PREFIX = "This is an example of the task, though some input or output fields are not supplied."
_MISSING_INCOMPLETE = "Not supplied for this particular example. "
_MISSING_COMPLETE = "Not supplied for this conversation history message. "
_CONSTRAINTS = {
    "gt": "greater than: ", "ge": "greater than or equal to: ", "lt": "less than: ", "le": "less than or equal to: ",
    "min_length": "minimum length: ", "max_length": "maximum length: ",
    "multiple_of": "a multiple of the given number: ", "allow_inf_nan": "allow 'inf', '-inf', 'nan' values: ",
}


def _description_block(fields: Mapping[str, Any]) -> str:
    lines = []
    for index, (name, field) in enumerate(fields.items(), 1):
        desc = field.desc if field.desc is not None else f"${{{name}}}"
        if desc == f"${{{name}}}":
            desc = ""
        if is_tool_calls_type(field.annotation):
            desc += TOOL_CALLS_DESCRIPTION
        constraints = constraints_text(field.extra)
        lines.append(f"{index}. `{name}` ({annotation_name(field.annotation)}): {desc}"
                     + (f"\nConstraints: {constraints}" if constraints else ""))
    return "\n".join(lines).strip()


def type_info(annotation: Any) -> str:
    """What DSPy's reply reminders say of an output's type."""
    if is_tool_calls_type(annotation):
        return TOOL_CALLS_REMINDER
    return "" if annotation is str else f" (must be formatted as a valid Python {annotation_name(annotation)})"


def constraints_text(extra: Mapping[str, Any]) -> str:
    """DSPy's ``_translate_pydantic_field_constraints``: ``ge=0, le=10`` as ``greater than or equal
    to: 0, less than or equal to: 10``, in the order the field was given them."""
    return ", ".join(f"{_CONSTRAINTS[k]}{v}" for k, v in extra.items() if k in _CONSTRAINTS)


def _default_of(extra: Mapping[str, Any]) -> Any:
    """pydantic's ``FieldInfo.get_default(call_default_factory=True)``: a copy of ``default=``, or what
    ``default_factory=`` makes."""
    if "default" in extra:
        import copy

        return copy.deepcopy(extra["default"])
    return extra["default_factory"]()


class ChatFormat:
    """The ChatAdapter's prompt parts and parser for one signature."""

    adapter_name = "ChatAdapter"

    def __init__(self, signature: Any):
        self.signature = signature
        #: the input field holding the conversation so far (dspy.History), sent as earlier turns
        self.history = history_field(signature)
        for kind, fields in (("input", signature.input_fields), ("output", signature.output_fields)):
            for name, field in fields.items():
                if kind == "output" or (name != self.history and not takes_images(field.annotation)
                                        and not takes_tools(field.annotation)):
                    check_supported(field.annotation, f"{kind} field {name!r}")
        self.inputs = tuple((n, f.annotation) for n, f in signature.input_fields.items())
        self.outputs = tuple((n, f.annotation) for n, f in signature.output_fields.items())
        self.output_types = dict(self.outputs)
        self.coercers = {n: coercer(a) for n, a in self.outputs}
        self.input_names = tuple(n for n, _ in self.inputs)
        # what a call's input names are checked against (dspex_core.backend.input_rules)
        self.input_set = frozenset(self.input_names)
        # an input with a default may be left out (DSPy fills in ``default=``, not ``default_factory=``)
        self.required_inputs = frozenset(n for n, f in signature.input_fields.items()
                                         if not allows_none(f.annotation) and not _has_default(f.extra))
        self.input_defaults = {n: f.extra["default"] for n, f in signature.input_fields.items()
                               if "default" in f.extra}
        #: outputs a reply may leave out, and what they become (DSPy's ``apply_output_field_defaults``)
        self.output_defaults = {n: f.extra for n, f in signature.output_fields.items() if _has_default(f.extra)}
        self.output_names = tuple(n for n, _ in self.outputs)
        self._canonical = None if "completed" in self.output_types else re.compile(
            "".join(rf"\[\[ ## {n} ## \]\]\n(.*?)\n\n" for n in self.output_names)
            + r"\[\[ ## completed ## \]\]\s*\Z", re.DOTALL)
        self.input_headers = tuple((n, f"[[ ## {n} ## ]]\n", a) for n, a in self.inputs)
        self.output_headers = tuple((n, f"[[ ## {n} ## ]]\n", a) for n, a in self.outputs)
        self.nullable = frozenset(n for n, a in self.outputs if allows_none(a))
        #: whether a native LM feature may answer an output (a ToolCalls or a dspy.Reasoning output):
        #: only then does a call plan for it (adapters/_call_plan.py)
        self.natively_answered = any(is_tool_calls_type(a) or is_reasoning_type(a) for _, a in self.outputs)
        self.all_fields = tuple(signature.input_fields) + tuple(signature.output_fields)
        self.system = self._system_message()
        self.requirements = self._output_requirements()

    # -- the system message -------------------------------------------------------------------
    def _system_message(self) -> str:
        sig = self.signature
        description = (f"Your input fields are:\n{_description_block(sig.input_fields)}\n"
                       f"Your output fields are:\n{_description_block(sig.output_fields)}")
        return f"{description}\n{self._structure()}\n{self._task()}"

    def _structure_block(self, fields: tuple, is_input: bool) -> str:
        return "\n\n".join(f"[[ ## {n} ## ]]\n{type_note(n, a, is_input)}" for n, a in fields).strip()

    def _structure(self) -> str:
        parts = [
            "All interactions will be structured in the following way, with the appropriate values filled in.",
            self._structure_block(self.inputs, True),
            self._structure_block(self.outputs, False),
            "[[ ## completed ## ]]\n",
        ]
        return "\n\n".join(parts).strip()

    def _task(self) -> str:
        import textwrap

        # DSPy's signature class reads its instructions through inspect.cleandoc.
        instructions = textwrap.dedent(cleandoc(self.signature.instructions))
        objective = ("\n" + " " * 8).join([""] + instructions.splitlines())
        return f"In adhering to this structure, your objective is: {objective}"

    def _output_requirements(self) -> str:
        return ("Respond with the corresponding output fields, starting with the field "
                + ", then ".join(f"`[[ ## {n} ## ]]`{type_info(a)}" for n, a in self.outputs)
                + ", and then ending with the marker for `[[ ## completed ## ]]`.")

    # -- demos and the user message -----------------------------------------------------------
    def demo_messages(self, demos: Any) -> list[dict[str, str]]:
        """DSPy's ``format_demos``: incomplete demos first (with a preamble), then complete ones.

        Optimizers build a predictor state per trainset example, so this runs for every demo of
        every such state: it is written as plain loops, without a generator or a helper call per
        demo and field."""
        complete, incomplete = [], []
        all_fields, input_names, output_names = self.all_fields, self.input_names, self.output_names
        for demo in demos or ():
            for name in all_fields:
                if name not in demo or demo[name] is None:
                    break
            else:  # every field is there and not None
                complete.append(demo)
                continue
            # otherwise kept (as incomplete) when it has some input and some output
            if _any_key(demo, input_names) and _any_key(demo, output_names):
                incomplete.append(demo)
        user, assistant = self.user_content, self.assistant_content
        messages = []
        for demo in incomplete:
            messages.append({"role": "user", "content": user(demo, _INCOMPLETE_PREFIX)})
            messages.append({"role": "assistant", "content": assistant(demo, _MISSING_INCOMPLETE)})
        for demo in complete:
            messages.append({"role": "user", "content": user(demo)})
            messages.append({"role": "assistant", "content": assistant(demo, _MISSING_COMPLETE)})
        return messages

    def user_content(self, values: Any, prefix: str = "") -> str:
        """DSPy's ``format_user_message_content``: ``prefix``, then each input field ``values``
        has, joined by blank lines and stripped."""
        parts = [prefix]
        for name, header, annotation in self.input_headers:
            if name in values:
                value = values.get(name)
                parts.append(header + (value if type(value) is str else format_value(value, annotation)))
        parts.append("")
        return "\n\n".join(parts).strip()

    def user_message(self, inputs: Mapping[str, Any]) -> str:
        """The current request: the inputs, then the reminder of the reply format (the hot path)."""
        parts = []
        for name, header, annotation in self.input_headers:
            if name in inputs:
                value = inputs[name]
                parts.append(header + (value if type(value) is str else format_value(value, annotation)))
        parts.append(self.requirements)
        return "\n\n".join(parts)

    def assistant_content(self, values: Any, missing: str | None = None) -> str:
        """DSPy's ``format_assistant_message_content``: each output field (``missing`` for one
        ``values`` lacks), then the completed marker."""
        parts = []
        for name, header, annotation in self.output_headers:
            value = values.get(name, missing)
            parts.append(header + (value if type(value) is str else format_value(value, annotation)))
        return "\n\n".join(parts).strip() + "\n\n[[ ## completed ## ]]\n"

    # -- parsing ------------------------------------------------------------------------------------
    def parse(self, completion: str) -> dict[str, Any]:
        """DSPy's ``ChatAdapter.parse``: sections by ``[[ ## name ## ]]`` markers, first one wins."""
        coercers = self.coercers
        canonical = self._canonical
        if (canonical is not None and completion.count("[[ ## ") == len(coercers) + 1
                and _OTHER_LINE_BREAKS.search(completion) is None):
            # The reply is exactly the requested shape (each marker once, in order, alone on
            # its line, "\n" line breaks only): the sections are the regex groups, every output
            # is there in signature order, so nothing is left for ``complete`` to do.
            match = canonical.match(completion)
            if match is not None:
                return self._read(dict(zip(self.output_names, match.groups())), completion)
        sections: list[tuple[Any, list[str]]] = []
        name: Any = None
        current: list[str] = []
        for line in completion.splitlines():
            if "[[ ## " in line:  # cheap pre-check; DSPy matches the header on the stripped line
                match = _HEADER.match(line.strip())
                if match:
                    sections.append((name, current))
                    rest = line[match.end():].strip()
                    name, current = match.group(1), ([rest] if rest else [])
                    continue
            current.append(line)
        sections.append((name, current))
        texts: dict[str, str] = {}
        for name, lines in sections:
            if name in coercers and name not in texts:
                texts[name] = "\n".join(lines)
        return self.complete(self._read(texts, completion), completion)

    def _read(self, texts: dict[str, str], completion: str) -> dict[str, Any]:
        """Strip and coerce each found section (in reply order, as DSPy)."""
        coercers = self.coercers
        fields: dict[str, Any] = {}
        for name, text in texts.items():
            text = text.strip()
            coerce = coercers[name]
            if coerce is None:
                fields[name] = text
                continue
            try:
                fields[name] = coerce(text)
            except ValueError as exc:
                raise self.error(completion, f"Failed to parse field {name} with value {text} from the LM "
                                             f"response. Error message: {exc}") from None
        return fields

    def complete(self, fields: dict[str, Any], completion: str) -> dict[str, Any]:
        """DSPy's ``apply_output_field_defaults`` then the all-fields check (signature order)."""
        if len(fields) == len(self.outputs):  # every output was found (fields only holds outputs)
            return {n: fields[n] for n in self.output_types}
        completed = {}
        for name, _ in self.outputs:
            if name in fields:
                completed[name] = fields[name]
            elif name in self.output_defaults:
                completed[name] = _default_of(self.output_defaults[name])
            elif name in self.nullable:
                completed[name] = None
        if len(completed) != len(self.outputs):
            raise self.error(completion, parsed=completed)
        return completed

    def error(self, completion: str, message: str | None = None, parsed: dict | None = None) -> AdapterParseError:
        text = f"{message}\n\n" if message else ""
        text += (f"Adapter {self.adapter_name} failed to parse the LM response. \n\n"
                 f"Expected to find output fields in the LM response: [{', '.join(n for n, _ in self.outputs)}] \n\n")
        if parsed is not None:
            text += f"Actual output fields parsed from the LM response: [{', '.join(parsed)}] \n\n"
        return AdapterParseError(text.rstrip(), raw=completion,
                                 details={"adapter": self.adapter_name, "parsed": parsed})


def _has_default(extra: Mapping[str, Any]) -> bool:
    return "default" in extra or "default_factory" in extra


def _any_key(values: Any, names: tuple[str, ...]) -> bool:
    """Whether ``values`` has any of ``names`` (``any(...)`` without a generator per call)."""
    for name in names:
        if name in values:
            return True
    return False


_FORMATS: LRUCache[Any, ChatFormat] = LRUCache(4096)


def chat_format(signature: Any) -> ChatFormat:
    """The (cached) :class:`ChatFormat` of a signature."""
    fmt = _FORMATS.get(signature)
    if fmt is None:
        fmt = _FORMATS.put(signature, ChatFormat(signature))
    return fmt
