"""``react`` cases: a signature, tools from the pool (:mod:`._react_tools`), ``max_iters`` at
create and per call, demos, call settings, the adapter, the inputs, and the LM's answers.

The LM answers by request, not by position (:class:`ReactScript`): a ``react`` request (its
system message lists ``next_tool_name``) takes the next react reply, an ``extract`` request the
next extract reply, each in the format the request asks for (chat, or JSON for the JSONAdapter
and DSPy's JSON retry after an unparseable chat reply); when a queue is empty a react request is
told to ``finish`` and an extract request gets well-formed outputs. The react replies pick a
tool (or ``finish``, or a name that is no tool) with valid arguments mostly, else wrong types,
unknown, missing or no arguments, and are now and then malformed (a field missing, garbage, a
quoted tool name). The script can also refuse a request as too long for the context window
(``ContextWindowExceededError``: when the prompt holds more than ``window`` steps, or at given
request numbers), which makes the agent drop its oldest step, and raise a plain ``ValueError``
at a given request, which ends the loop. Tool errors reach the LM as observations with a
traceback, compared without its frames (:data:`._masks.TOOL_TRACEBACK`).
"""

from __future__ import annotations

import json
import typing
from typing import Any

from hypothesis import strategies as st

from dspex_core.testing._strategies_lm import REASONING, demos, inputs, replies
from dspex_core.testing._strategies_signatures import SignatureSpec, signatures
from dspex_core.testing._strategies_values import reply_text, text, values_for
from dspex_core.testing.conformance._masks import TOOL_TRACEBACK
from dspex_core.testing.conformance._module_case import ModuleCase, echo_fields, is_json_request, with_lm
from dspex_core.testing.conformance._react_tools import TOOLS, tool_params, tools

#: Names ReAct refuses for the signature's fields.
RESERVED = ("next_thought", "next_tool_name", "next_tool_args", "max_iters")
_FINISH = {"next_thought": "done", "next_tool_name": "finish", "next_tool_args": {}}


def chat(fields: dict[str, Any]) -> str:
    """A chat reply with ``fields`` (values that are not text as JSON, as an LM writes them)."""
    parts = [f"[[ ## {k} ## ]]\n{v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
             for k, v in fields.items()]
    return "\n\n".join(parts) + "\n\n[[ ## completed ## ]]"


def _is_react(messages: list[dict[str, Any]]) -> bool:
    return "`next_tool_name`" in messages[0]["content"]


class ReactScript:
    """The LM's answers to one run (see the module docstring)."""

    def __init__(self, react_chat: list[str], react_json: list[str], extract_chat: list[str],
                 extract_json: list[str], extract_default: dict[str, Any], window: int | None = None,
                 cwe_calls: tuple[int, ...] = (), value_error_calls: tuple[int, ...] = ()):
        self.queues = {("react", False): list(react_chat), ("react", True): list(react_json),
                       ("extract", False): list(extract_chat), ("extract", True): list(extract_json)}
        self.extract_default = extract_default
        self.window = window
        self.cwe_calls = set(cwe_calls)
        self.value_error_calls = set(value_error_calls)
        self.count = 0

    def __call__(self, messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
        from dspex_core.errors import ContextWindowExceededError

        self.count += 1
        if self.count in self.value_error_calls:
            raise ValueError(f"the LM refused request {self.count}")
        steps = messages[-1]["content"].count("[[ ## thought_")
        if self.count in self.cwe_calls or (self.window is not None and steps > self.window):
            raise ContextWindowExceededError(f"prompt too long: {steps} steps", model="recording-lm", status=400)
        kind = "react" if _is_react(messages) else "extract"
        as_json = is_json_request(messages)
        queue = self.queues[(kind, as_json)]
        if queue:
            return queue.pop(0)
        fields = _FINISH if kind == "react" else self.extract_default
        return json.dumps(fields, ensure_ascii=False) if as_json else chat(fields)


class ReactCase(ModuleCase):
    """One ``react`` call; ``script`` holds :class:`ReactScript`'s arguments."""

    masks = (TOOL_TRACEBACK,)

    def __init__(self, sig: SignatureSpec, tool_names: list[str], inputs: dict[str, Any], script: dict[str, Any],
                 create_options: dict[str, Any], call_options: dict[str, Any], demos: list[dict[str, Any]]):
        super().__init__("react", inputs, create_options, call_options)
        self.sig = sig
        self.tool_names = tool_names
        self.script_spec = script
        self.demos = demos

    def spec(self) -> Any:
        return self.sig.build()

    def script(self) -> Any:
        return ReactScript(**{k: list(v) if isinstance(v, (list, tuple)) else v for k, v in self.script_spec.items()})

    def pure_script(self) -> Any:
        """Finish at once, then answer the extraction from the request alone."""
        fields = [REASONING, *self.sig.outputs]

        def reply(messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
            return chat(_FINISH) if _is_react(messages) else echo_fields(fields, messages)

        return reply

    def make(self, backend: str, lm: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        options = with_lm({**self.create_options, "tools": tools(self.tool_names)}, lm)
        if self.demos:
            options["demos"] = [dict(d) for d in self.demos]
        return self.spec(), options, dict(self.call_options)

    @property
    def runs_differ_when_async(self) -> bool:
        """Whether a sync and an async run of this case differ by design: DSPy's sync ``Tool``
        refuses an ``async def`` tool (its error becomes the observation), ``acall`` awaits it."""
        import inspect

        return any(inspect.iscoroutinefunction(TOOLS[name]) for name in self.tool_names)

    def _repr_lines(self) -> list[str]:
        lines = [f"signature={self.sig!r},", f"tools={self.tool_names!r},"]
        if self.demos:
            lines.append(f"demos={self.demos!r},")
        lines.append("script={")
        lines.extend(f"  {k!r}: {v!r}," for k, v in self.script_spec.items())
        lines.append("},")
        return lines


_JSON_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-5, 50), st.floats(-10, 10, allow_nan=False),
                        text(max_size=12, newlines=False), st.lists(st.integers(0, 9), max_size=3),
                        st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2))


def arg_values(annotation: Any) -> st.SearchStrategy[Any]:
    """Values an LM might give for a tool argument of type ``annotation`` (JSON values)."""
    if annotation is Any:
        return _JSON_VALUE
    if annotation is str:
        return text(max_size=12, newlines=False)
    if annotation is int:
        return st.integers(-5, 50)
    if annotation is float:
        return st.floats(-10, 10, allow_nan=False)
    if annotation is bool:
        return st.booleans()
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(arg_values(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(st.sampled_from(["pi", "e", "k"]), arg_values(args[1]), max_size=2)
    if origin is typing.Union:
        return st.one_of(*(st.none() if a is type(None) else arg_values(a) for a in args))
    return _JSON_VALUE


@st.composite
def tool_args(draw: Any, name: str) -> dict[str, Any]:
    """Arguments the LM picks for a tool: valid ones mostly, else wrong types, unknown or missing ones."""
    if name == "finish":
        return draw(st.sampled_from([{}, {}, {}, {"answer": "x"}]))
    params = tool_params(name)
    mode = draw(st.sampled_from(["valid", "valid", "valid", "wrong", "extra", "missing", "empty"]))
    args: dict[str, Any] = {}
    for key, (annotation, required) in params.items():
        if required or draw(st.booleans()):
            args[key] = draw(arg_values(annotation))
    if mode == "wrong" and params:
        args[draw(st.sampled_from(sorted(params)))] = draw(_JSON_VALUE)
    elif mode == "extra":
        args[draw(st.sampled_from(["zzz", "extra_arg"]))] = draw(_JSON_VALUE)
    elif mode == "missing" and args:
        args.pop(draw(st.sampled_from(sorted(args))))
    elif mode == "empty":
        args = {}
    return args


@st.composite
def react_replies(draw: Any, tool_names: list[str], as_json: bool, malformed: bool = True) -> str:
    """One react reply: a tool (or finish, or a name that is no tool) with its arguments, maybe malformed."""
    roll = draw(st.integers(0, 9))
    choice = ("unknown_tool" if roll == 0 and malformed else "finish" if roll == 1 or not tool_names
              else draw(st.sampled_from(tool_names)))
    args = draw(tool_args(choice)) if choice != "unknown_tool" else {"a": 1}
    thought = draw(st.one_of(text(max_size=30).filter(lambda t: "[[" not in t), st.just("Let me think.")))
    shape = draw(st.sampled_from(["ok"] * 12 + (["missing", "garbage", "quoted"] if malformed else [])))
    fields: dict[str, Any] = {"next_thought": thought, "next_tool_name": choice, "next_tool_args": args}
    if as_json:
        if shape == "missing":
            fields.pop("next_thought")
        return "no JSON here" if shape == "garbage" else json.dumps(fields, ensure_ascii=False)
    if shape == "missing":
        fields.pop("next_tool_args")
    if shape == "garbage":
        return draw(text(min_size=1, max_size=30).filter(lambda t: "[[" not in t))
    if shape == "quoted":
        fields["next_tool_name"] = f"'{choice}'"
    return chat(fields)


@st.composite
def react_cases(draw: Any, kinds: tuple[str, ...] = ("well_formed", "json", "malformed")) -> ReactCase:
    """A :class:`ReactCase`; ``kinds`` of the extraction's replies (and, with ``"malformed"``,
    malformed react replies, unknown tool names, context-window refusals and LM errors)."""
    malformed = "malformed" in kinds
    sig = draw(signatures().filter(lambda s: not any(f.name in RESERVED for f in (*s.inputs, *s.outputs))))
    names = draw(st.lists(st.sampled_from(sorted(TOOLS)), min_size=0 if draw(st.integers(0, 9)) == 0 else 1,
                          max_size=4, unique=True))
    adapter = draw(st.sampled_from(["chat", "chat", "chat", "json"]))
    steps = draw(st.sampled_from([4, 3, 5, 2, 1, 0]))
    react_chat = [draw(react_replies(names, False, malformed)) for _ in range(steps)]
    json_steps = steps if adapter == "json" else draw(st.integers(0, 2))
    react_json = [draw(react_replies(names, True, malformed)) for _ in range(json_steps)]
    fields = [REASONING, *sig.outputs]
    extract_chat = [draw(replies(fields, kinds)) for _ in range(draw(st.integers(0, 2)))]
    extract_json = [draw(replies(fields, ("json",))) for _ in range(draw(st.integers(0, 2)))]
    default = {f.name: reply_text(f.annotation, draw(values_for(f.annotation))) for f in fields}
    script: dict[str, Any] = dict(react_chat=react_chat, react_json=react_json, extract_chat=extract_chat,
                                  extract_json=extract_json, extract_default=default)
    if malformed:
        script["window"] = draw(st.one_of(st.none(), st.none(), st.integers(0, 3)))
        script["cwe_calls"] = tuple(draw(st.one_of(st.just([]), st.just([]), st.lists(st.integers(1, 8),
                                                                                       max_size=3))))
        script["value_error_calls"] = tuple(draw(st.one_of(st.just([]), st.just([]), st.just([]),
                                                           st.lists(st.integers(1, 8), max_size=1))))
    create_options: dict[str, Any] = {"max_iters": draw(st.sampled_from([5, 4, 3, 2, 1]))}
    if adapter != "chat":
        create_options["adapter"] = adapter
    call_options: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        call_options["max_iters"] = draw(st.integers(0, 4))
    config = draw(st.one_of(st.none(), st.fixed_dictionaries({}, optional={
        "temperature": st.sampled_from([0.0, 0.5, 1.0]), "max_tokens": st.sampled_from([16, 256]),
        "rollout_id": st.integers(0, 3)})))
    if config:
        call_options["config"] = config
    return ReactCase(sig, names, draw(inputs(sig)), script, create_options, call_options,
                     draw(demos(sig, max_size=2)))
