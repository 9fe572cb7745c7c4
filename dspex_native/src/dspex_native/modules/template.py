"""The ``template`` module type: safe string templates for pipeline steps.

Syntax (Python's ``str.format`` grammar, minus everything that could reach internals):

* ``{name}`` inserts the input ``name`` (``str(value)``); ``{{`` and ``}}`` are literal braces;
* ``{name.key}`` and ``{name[key]}`` look a key up in a ``dict``, or a field up in an
  ``Example``/``Prediction``; ``{name[0]}`` (also ``[-1]``) indexes a ``list``, ``tuple`` or
  ``str``; lookups chain (``{doc.meta[authors][0]}``);
* an optional conversion (``!r``, ``!s``, ``!a``) and format spec (``{score:.2f}``) as in
  ``str.format``; a spec may not contain nested ``{fields}``.

Lookups into any other kind of value (objects, modules, classes, numbers) and any name, key
or attribute starting with ``_`` are refused, so a template cannot walk from a value into
Python's internals (``{x.__class__.__init__.__globals__}``). Positional fields (``{}``,
``{0}``) are refused too: every variable has a name. Malformed templates fail at ``create``;
a missing variable fails at ``execute`` with an :class:`~dspex_core.InputError` that names it
and lists the available inputs. Inputs the template does not use are ignored.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.backend import Example, Implementation, Prediction
from dspex_core.errors import InputError


class TemplateError(InputError):
    """A template is malformed or cannot be rendered with the given inputs."""


def _parse_path(field: str, template: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """``"a.b[0][k]"`` -> ``("a", (("attr", "b"), ("item", 0), ("item", "k")))``."""
    end = len(field)
    for stop, ch in enumerate(field):
        if ch in ".[":
            end = stop
            break
    name = field[:end]
    if not name:
        raise TemplateError(f"template {template!r}: positional fields like '{{}}' are not allowed; "
                            f"name every variable, e.g. '{{question}}'")
    if not name.isidentifier():
        raise TemplateError(f"template {template!r}: {name!r} in {{{field}}} is not a variable name")
    _check_private(name, field)
    steps: list[tuple[str, Any]] = []
    i = end
    while i < len(field):
        if field[i] == ".":
            j = i + 1
            while j < len(field) and field[j] not in ".[":
                j += 1
            attr = field[i + 1:j]
            if not attr.isidentifier():
                raise TemplateError(f"template {template!r}: {{{field}}} has an invalid attribute name {attr!r}")
            _check_private(attr, field)
            steps.append(("attr", attr))
            i = j
        elif field[i] == "[":
            j = field.find("]", i)
            if j < 0:
                raise TemplateError(f"template {template!r}: {{{field}}} has an unclosed '['")
            key = field[i + 1:j]
            if not key:
                raise TemplateError(f"template {template!r}: {{{field}}} has an empty '[]'")
            _check_private(key, field)
            body = key[1:] if key[0] == "-" else key
            # isdecimal, not isdigit: "³" is a digit int() cannot read (str.format takes it as a key too)
            steps.append(("item", int(key) if body.isdecimal() else key))
            i = j + 1
        else:
            raise TemplateError(f"template {template!r}: unexpected {field[i]!r} in {{{field}}}")
    return name, tuple(steps)


def _check_private(name: str, field: str) -> None:
    if name.startswith("_"):
        raise TemplateError(f"template field {{{field}}}: names starting with '_' are not allowed ({name!r})")


class Template:
    """The state of a ``template`` step: the parsed template (literal text and fields), ready to render."""

    __slots__ = ("source", "output", "parts", "variables")

    def __init__(self, source: str, output: str = "text"):
        import string

        self.source = source
        self.output = output
        parts: list[Any] = []
        variables: dict[str, None] = {}
        try:
            parsed = list(string.Formatter().parse(source))
        except ValueError as exc:
            hint = "write '{{' or '}}' for a literal brace"
            raise TemplateError(f"template {source!r} is malformed: {exc} ({hint})") from None
        for literal, field, spec, conversion in parsed:
            if literal:
                parts.append(literal)
            if field is None:
                continue
            name, steps = _parse_path(field, source)
            if spec and ("{" in spec or "}" in spec):
                raise TemplateError(f"template {source!r}: nested fields in a format spec are not supported "
                                    f"({{{field}:{spec}}})")
            if conversion not in (None, "r", "s", "a"):
                raise TemplateError(f"template {source!r}: unknown conversion '!{conversion}' in {{{field}}}")
            variables[name] = None
            parts.append((field, name, steps, conversion, spec or ""))
        self.parts = tuple(parts)
        self.variables = tuple(variables)

    def render(self, values: Mapping[str, Any]) -> str:
        missing = [name for name in self.variables if name not in values]
        if missing:
            which = ", ".join(repr(m) for m in missing)
            noun = "variable" if len(missing) == 1 else "variables"
            raise TemplateError(f"template {noun} {which} missing; available inputs: "
                                f"{', '.join(sorted(map(str, values))) or '(none)'}")
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            field, name, steps, conversion, spec = part
            value = values[name]
            for kind, key in steps:
                value = _lookup(value, kind, key, field)
            if conversion == "r":
                value = repr(value)
            elif conversion == "a":
                value = ascii(value)
            elif conversion == "s":
                value = str(value)
            try:
                out.append(format(value, spec) if spec else str(value))
            except (ValueError, TypeError) as exc:
                raise TemplateError(f"template field {{{field}:{spec}}}: {exc}") from None
        return "".join(out)


def _lookup(value: Any, kind: str, key: Any, field: str) -> Any:
    if isinstance(value, (Example, dict)):
        for candidate in (key,) if isinstance(key, str) else (key, str(key)):
            if candidate in value:
                return value[candidate]
        keys = ", ".join(sorted(str(k) for k in value.keys() if not str(k).startswith("_")))
        raise TemplateError(f"template field {{{field}}}: no key {key!r}; available: {keys or '(none)'}")
    if isinstance(value, (list, tuple, str)):
        if kind == "item" and isinstance(key, int):
            try:
                return value[key]
            except IndexError:
                raise TemplateError(f"template field {{{field}}}: index {key} is out of range "
                                    f"(length {len(value)})") from None
        raise TemplateError(f"template field {{{field}}}: a {type(value).__name__} can only be indexed "
                            f"with a number, like [0]")
    raise TemplateError(f"template field {{{field}}}: cannot look into a {type(value).__name__}; only dict, list, "
                        f"tuple, str, Example and Prediction values can be looked into")


class TemplateImplementation(Implementation):
    """``create(template, output="text")``; ``execute(state, inputs) -> Prediction(text=...)``."""

    module_type = "template"

    def create(self, spec: Any = None, **options: Any) -> Template:
        source = options.pop("template", None)
        output = options.pop("output", "text")
        if options:
            raise InputError(f"the template step got unknown options {sorted(options)}; allowed: template, output")
        if spec is not None and source is not None:
            raise InputError("give the template either as the first argument or as template=, not both")
        source = spec if source is None else source
        if not isinstance(source, str):
            raise InputError(f"a template must be a string such as 'Hello {{name}}', got {type(source).__name__}")
        if not isinstance(output, str) or not output.isidentifier():
            raise InputError(f"output must be a field name, got {output!r}")
        return Template(source, output)

    def execute(self, state: Template, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        if options:
            raise InputError(f"the template step takes no call options, got {sorted(options)}")
        if not isinstance(inputs, Mapping):
            raise InputError(f"inputs must be a mapping of variable names to values, got {type(inputs).__name__}")
        return Prediction({state.output: state.render(inputs)})

    async def aexecute(self, state: Template, inputs: Mapping[str, Any], **options: Any) -> Prediction:
        return self.execute(state, inputs, **options)

    def describe(self, state: Template) -> dict[str, Any]:
        """``inputs``: the variables the template reads; ``outputs``: the one field it produces."""
        reads, produces = list(state.variables), [state.output]
        return {"template": state.source, "inputs": reads, "outputs": produces,
                "input_fields": reads, "output_fields": produces}


implementation = TemplateImplementation()
