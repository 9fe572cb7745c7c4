"""A native predictor's state: what ``create`` returns and every call reads.

:class:`PredictState` holds the signature, demos, config (LM settings, as DSPy's
``Predict(**config)``), the module's LM and adapter, and the prompt parts precomputed from
them (the format, and the demos' messages once the first call has rendered them), so that a
call only renders the user message.
"""

from __future__ import annotations

from typing import Any

from dspex_core.backend import Signature, adapter_rules

from dspex_native.adapters import ChatFormat, get_format
from dspex_native.adapters._content_parts import split_message
from dspex_native.predictor.options import check_adapter, demo_list, lm_problem


class PredictState:
    """The state of a native predict module: its signature, demos, config and precomputed prompt parts."""

    __slots__ = ("module_type", "signature", "demos", "config", "lm", "adapter", "format", "_demo_messages",
                 "_other_demo_messages", "adapter_options")

    def __init__(self, module_type: str, signature: Signature, demos: list, config: dict, lm: Any, adapter: str,
                 fmt: ChatFormat | None = None, adapter_options: dict[str, Any] | None = None):
        self.module_type = module_type
        #: DSPy's adapter constructor settings (``use_native_function_calling``, ``parallel_tool_calls``)
        self.adapter_options = adapter_options or {}
        self.signature = signature
        self.demos = demos
        self.config = config
        self.lm = lm
        self.adapter = adapter
        # ``fmt``: the format of this signature and adapter, when the caller has it (a copy of a state)
        self.format = fmt if fmt is not None else get_format(signature, "chat" if adapter == "auto" else adapter)
        self._demo_messages: tuple | None = None
        if not _plain(demos, self.format.all_fields):
            # A demo value that is not text is rendered now: one that cannot be rendered fails
            # the create, and a container changed later does not change the prompt.
            self._demo_messages = _rendered(self.format, demos)
        self._other_demo_messages: dict[str, tuple] | None = None

    @property
    def demo_messages(self) -> tuple:
        """The demos' messages in the state's format, rendered on the first call that sends them.

        Optimizers make a state per candidate or trainset example, and some are never called
        (BootstrapFewShot's teacher with all its demos when every example is one of them, the
        compiled program until it is run): their demos are not rendered at all."""
        messages = self._demo_messages
        if messages is None:
            messages = self._demo_messages = _rendered(self.format, self.demos)
        return messages

    def json_demo_messages(self) -> tuple:
        """The demos in JSON format (built on the first fallback only)."""
        return self.adapter_demo_messages("json")

    def adapter_demo_messages(self, adapter: str) -> tuple:
        """The demos in ``adapter``'s format (JSON after an unparseable reply, or the format
        ``dspex.settings().adapter`` names for a module created without one), built once each."""
        if adapter == self.adapter or (adapter == "chat" and self.adapter == "auto"):
            return self.demo_messages
        others = self._other_demo_messages
        if others is None:
            others = self._other_demo_messages = {}
        messages = others.get(adapter)
        if messages is None:
            messages = others[adapter] = _rendered(get_format(self.signature, adapter), self.demos)
        return messages

    def native_calls(self, adapter: str) -> bool:
        """Whether the adapter calls functions natively (DSPy's ``use_native_function_calling``: the
        JSONAdapter's default, off for the ChatAdapter and XMLAdapter unless asked for)."""
        wanted = self.adapter_options.get("use_native_function_calling")
        return adapter == "json" if wanted is None else wanted

    @property
    def parallel_tool_calls(self) -> bool | None:
        """DSPy's adapter ``parallel_tool_calls``: sent with native tools when set."""
        return self.adapter_options.get("parallel_tool_calls")

    def __repr__(self) -> str:
        return (f"PredictState({self.module_type}, {self.signature.signature!r}, demos={len(self.demos)}, "
                f"adapter={self.adapter!r}, config={self.config!r})")


def _plain(demos: list, fields: tuple[str, ...]) -> bool:
    """Whether every demo's value for each of ``fields`` is a string or ``None`` (or absent):
    such demos render without error and cannot change, so rendering them can wait."""
    for demo in demos:
        for name in fields:
            value = demo.get(name)
            if value is not None and type(value) is not str:
                return False
    return True


def build_state(module_type: str, signature: Signature, options: dict[str, Any], config: dict[str, Any]) -> PredictState:
    """The state of a ``module_type`` module for ``signature``, from checked module options and config."""
    adapter = check_adapter(module_type, options.get("adapter"))
    adapter_options = adapter_rules.check(module_type, options.get("adapter_options"))
    demos = demo_list(options.get("demos"), module_type)
    lm = options.get("lm")
    problem = lm_problem(lm, module_type)
    if problem is not None:
        raise problem
    return PredictState(module_type, signature, demos, config, lm, adapter, adapter_options=adapter_options)


def with_demo_list(state: PredictState, demos: Any) -> PredictState:
    """``state`` with its demos replaced (checked and copied as ``create`` does them). The rest was
    checked when ``state`` was made and is kept, its format too: optimizers make such a copy per
    candidate or trainset example, and looking the format up again compares whole signatures."""
    return PredictState(state.module_type, state.signature, demo_list(demos, state.module_type), dict(state.config),
                        state.lm, state.adapter, state.format, state.adapter_options)


def describe(state: PredictState) -> dict[str, Any]:
    """What the module is: signature, instructions, demos, config, adapter."""
    return {
        "backend": "native",
        "module_type": state.module_type,
        "signature": state.signature.signature,
        "instructions": state.signature.instructions,
        "inputs": list(state.signature.input_fields),
        "outputs": list(state.signature.output_fields),
        "demos": [dict(d) for d in state.demos],
        "config": dict(state.config),
        "adapter": state.adapter,
        **({"adapter_options": dict(state.adapter_options)} if state.adapter_options else {}),
        "lm": repr(state.lm) if state.lm is not None else None,
    }


def _rendered(fmt: Any, demos: list) -> tuple:
    """The demos' messages in ``fmt``, images already split into content parts (as DSPy splits
    every user message of a request), so that a call splits only its own user message."""
    return tuple(map(split_message, fmt.demo_messages(demos)))
