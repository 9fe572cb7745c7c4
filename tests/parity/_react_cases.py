"""ReAct parity cases: a signature, tools (the conformance kit's pool, :mod:`dspex_core.testing.conformance._react_tools`), ``max_iters`` (at create and
per call), demos, LM settings, an adapter, the inputs, and a :class:`Script`: what the LM answers
to each request.

The script answers by request, not by position: a ``react`` request (its system message lists
``next_tool_name``) takes the next react reply, an ``extract`` request the next extract reply,
each in the adapter's format (chat or JSON, so DSPy's JSON retry after an unparseable chat reply
gets a JSON one); when a queue is empty a react request is told to ``finish`` and an extract
request gets well-formed outputs. It can also refuse a request as too long for the context
window (a :class:`~dspex_core.errors.ContextWindowExceededError`): when the prompt holds more
than ``window`` steps, or at given request numbers; and raise a plain ``ValueError`` at given
request numbers. Every run gets a fresh script (:func:`recording`), so native, plain
``dspy.ReAct`` and the dspy backend see the same answers to the same requests.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from dspex_core.testing.conformance._react_tools import TOOLS, tool_params
from _strategies_local import SAFE_TEXT, TEXT, _json, chat_replies, demos_for, inputs_for, json_replies, \
    signatures, value_text, values_of
from dspex_core import Signature
from dspex_core._signature import Field
from dspex_core.errors import ContextWindowExceededError
from dspex_core.testing import RecordingLM

RESERVED = ("trajectory", "reasoning", "next_thought", "next_tool_name", "next_tool_args", "max_iters")


# -- the scripted LM -------------------------------------------------------------------------

class Script:
    """The LM's answers, by request kind (see the module docstring)."""

    def __init__(self, react_chat, react_json, extract_chat, extract_json, extract_default, *, window=None,
                 cwe_calls=(), value_error_calls=()):
        self.queues = {("react", False): list(react_chat), ("react", True): list(react_json),
                       ("extract", False): list(extract_chat), ("extract", True): list(extract_json)}
        self.extract_default = extract_default
        self.window = window
        self.cwe_calls = set(cwe_calls)
        self.value_error_calls = set(value_error_calls)
        self.count = 0

    def __call__(self, messages: list[dict[str, Any]], settings: dict[str, Any]) -> str:
        self.count += 1
        system, user = messages[0]["content"], messages[-1]["content"]
        if self.count in self.value_error_calls:
            raise ValueError(f"the LM refused request {self.count}")
        steps = user.count("[[ ## thought_")
        if self.count in self.cwe_calls or (self.window is not None and steps > self.window):
            raise ContextWindowExceededError(f"prompt too long: {steps} steps", model="recording-lm", status=400)
        kind = "react" if "`next_tool_name`" in system else "extract"
        is_json = "Outputs will be a JSON object" in system
        queue = self.queues[(kind, is_json)]
        if queue:
            return queue.pop(0)
        if kind == "react":
            finish = {"next_thought": "done", "next_tool_name": "finish", "next_tool_args": {}}
            return _json(finish) if is_json else chat(**finish)
        return _json(self.extract_default) if is_json else chat(**self.extract_default)


def chat(**fields: Any) -> str:
    """A well-formed ChatAdapter reply (JSON values as an LM writes them: see ``_strategies_local._json``)."""
    parts = [f"[[ ## {k} ## ]]\n{v if isinstance(v, str) else _json(v)}" for k, v in fields.items()]
    return "\n\n".join(parts) + "\n\n[[ ## completed ## ]]"


def recording(script_spec: dict[str, Any]) -> RecordingLM:
    """A fresh recording LM answering from a fresh copy of the script."""
    return RecordingLM(Script(**script_spec))


# -- strategies ------------------------------------------------------------------------------

_JSON_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-5, 50), st.floats(-10, 10, allow_nan=False),
                        SAFE_TEXT, st.lists(st.integers(0, 9), max_size=3),
                        st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2))


def _plain(annotation: Any) -> Any:
    return str if annotation is Any else annotation


@st.composite
def tool_args(draw, name: str) -> dict[str, Any]:
    """Arguments the LM picks for a tool: valid ones mostly, else wrong types, unknown or missing ones."""
    if name == "finish":
        return draw(st.sampled_from([{}, {}, {}, {"answer": "x"}]))
    params = tool_params(name)
    mode = draw(st.sampled_from(["valid", "valid", "valid", "wrong", "extra", "missing", "empty"]))
    args: dict[str, Any] = {}
    for key, (annotation, required) in params.items():
        if required or draw(st.booleans()):
            args[key] = draw(values_of(_plain(annotation))) if annotation is not Any else draw(_JSON_VALUE)
    if name == "notes":
        args.update(draw(st.dictionaries(st.sampled_from(["topic", "n", "body"]), _JSON_VALUE, max_size=2)))
    if mode == "wrong" and params:
        key = draw(st.sampled_from(sorted(params)))
        args[key] = draw(_JSON_VALUE)
    elif mode == "extra":
        args[draw(st.sampled_from(["zzz", "extra_arg"]))] = draw(_JSON_VALUE)
    elif mode == "missing" and args:
        args.pop(draw(st.sampled_from(sorted(args))))
    elif mode == "empty":
        args = {}
    return args


@st.composite
def react_reply(draw, tool_names: list[str], as_json: bool) -> str:
    """One react reply: a tool (or finish, or an unknown name) with arguments, maybe malformed."""
    roll = draw(st.integers(0, 9))
    choice = ("unknown_tool" if roll == 0 else "finish" if roll == 1 or not tool_names
              else draw(st.sampled_from(tool_names)))
    args = draw(tool_args(choice)) if choice != "unknown_tool" else {"a": 1}
    thought = draw(st.one_of(TEXT.filter(lambda t: "[[" not in t), st.just("Let me think.")))
    shape = draw(st.sampled_from(["ok"] * 12 + ["missing", "garbage", "quoted"]))
    fields: dict[str, Any] = {"next_thought": thought, "next_tool_name": choice, "next_tool_args": args}
    if as_json:
        if shape == "missing":
            fields.pop("next_thought")
        if shape == "garbage":
            return "no JSON here"
        return _json(fields)
    if shape == "missing":
        fields.pop("next_tool_args")
    if shape == "garbage":
        return draw(TEXT)
    if shape == "quoted":
        fields["next_tool_name"] = f"'{choice}'"
    fields["next_tool_args"] = value_text(draw, dict[str, Any], args) if "next_tool_args" in fields else None
    if fields["next_tool_args"] is None:
        fields.pop("next_tool_args")
    return chat(**fields)


def extract_signature(sig: Signature) -> Signature:
    """The extract step's signature as the replies see it (reasoning first among the outputs)."""
    return Signature._make({**sig.input_fields, "trajectory": Field("trajectory", "input", str)},
                           {"reasoning": Field("reasoning", "output", str), **sig.output_fields}, None)


CONFIGS = st.one_of(st.just({}), st.fixed_dictionaries({}, optional={
    "temperature": st.sampled_from([0.0, 0.5, 1.0]), "max_tokens": st.sampled_from([16, 256]),
    "rollout_id": st.integers(0, 3), "n": st.integers(1, 2)}))


@st.composite
def react_cases(draw, *, backend: bool = False, asynchronous: bool = False) -> dict[str, Any]:
    """A whole case (see the module docstring). ``backend``: runnable on the dspy backend too
    (no create-level LM settings, which only native and plain dspy take)."""
    sig = draw(signatures(exclude=RESERVED))
    names = draw(st.lists(st.sampled_from(sorted(TOOLS)), min_size=0 if draw(st.integers(0, 9)) == 0 else 1,
                          max_size=4, unique=True))
    if not asynchronous and "ping" in names and draw(st.booleans()):
        names.remove("ping")
    adapter = draw(st.sampled_from(["chat", "chat", "chat", "json"]))
    steps = draw(st.sampled_from([4, 3, 5, 6, 2, 1, 0]))  # mid-length runs are the simplest case
    react_chat = [draw(react_reply(names, False)) for _ in range(steps)]
    json_steps = steps if adapter == "json" else draw(st.integers(0, 2))
    react_json = [draw(react_reply(names, True)) for _ in range(json_steps)]
    extract_sig = extract_signature(sig)
    extract_chat = [draw(chat_replies(extract_sig)) for _ in range(draw(st.integers(0, 2)))]
    extract_json = [draw(json_replies(extract_sig)) for _ in range(draw(st.integers(0, 2)))]
    # values_of(Any) keeps to text the adapters read alike (see _strategies_local: json_repair's repairs)
    default = {name: draw(values_of(field.annotation)) for name, field in extract_sig.output_fields.items()}
    script = dict(react_chat=react_chat, react_json=react_json, extract_chat=extract_chat, extract_json=extract_json,
                  extract_default=default,
                  window=draw(st.one_of(st.none(), st.none(), st.integers(0, 3))),
                  cwe_calls=draw(st.one_of(st.just([]), st.just([]), st.lists(st.integers(1, 8), max_size=3))),
                  value_error_calls=draw(st.one_of(st.just([]), st.just([]), st.just([]),
                                                   st.lists(st.integers(1, 8), max_size=1))))
    call_config = draw(st.one_of(st.none(), CONFIGS))
    n = (call_config or {}).get("n") or 1
    if n > 1 and adapter == "json":
        call_config = {k: v for k, v in call_config.items() if k != "n"}
    return {
        "signature": sig,
        "tools": names,
        "max_iters": draw(st.sampled_from([5, 4, 6, 3, 2, 1])),
        "call_max_iters": draw(st.one_of(st.none(), st.none(), st.integers(0, 4))),
        "demos": draw(demos_for(sig, max_demos=2)),
        "config": {} if backend else draw(CONFIGS.map(lambda c: {k: v for k, v in c.items() if k != "n"})),
        "call_config": call_config,
        "adapter": adapter,
        "inputs": draw(inputs_for(sig, allow_missing=False)),
        "script": script,
    }
