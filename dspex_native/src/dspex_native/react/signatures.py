"""The signatures of a ReAct agent's two predictors, and ReAct's instructions.

``react`` reads the module's inputs plus ``trajectory`` and writes ``next_thought``,
``next_tool_name`` (a ``Literal`` of the tool names, ``finish`` last) and ``next_tool_args``
(``dict[str, Any]``); its instructions are the module's (as DSPy reads them, through
``cleandoc``), then DSPy's agent text listing every tool as ``str(tool)`` renders it.
``extract`` is a ChainOfThought on the module's inputs plus ``trajectory`` and its outputs, with
the module's instructions (DSPy's default sentence for the original fields when there are
none); ChainOfThought puts ``reasoning`` first among its outputs. The names these add are
reserved: a signature that already uses one is an :class:`~dspex_core.errors.InputError`.
"""

from __future__ import annotations

from typing import Any, Literal

from dspex_core.backend import InputField, OutputField, Signature, cleandoc, default_instructions, module_type
from dspex_core.errors import InputError

from dspex_native.tools import FINISH, Tool

(TRAJECTORY,) = module_type("react").extra_outputs
(REASONING,) = module_type("chain_of_thought").extra_outputs
NEXT_THOUGHT, NEXT_TOOL_NAME, NEXT_TOOL_ARGS = "next_thought", "next_tool_name", "next_tool_args"
#: ``max_iters`` is taken out of a call's inputs (DSPy pops it), so it cannot be an input field.
MAX_ITERS = "max_iters"
RESERVED = (TRAJECTORY, REASONING, NEXT_THOUGHT, NEXT_TOOL_NAME, NEXT_TOOL_ARGS)


def check_fields(signature: Signature) -> None:
    """Refuse field names the agent adds itself (or takes out of the inputs)."""
    for name in RESERVED:
        if name in signature.input_fields or name in signature.output_fields:
            raise InputError(f"react adds the field {name!r} itself (its predictors use {', '.join(RESERVED)}); "
                             f"rename that field of the signature {signature.signature!r}")
    if MAX_ITERS in signature.input_fields:
        raise InputError(f"react takes {MAX_ITERS!r} as a call option (DSPy's ReAct pops it from the inputs); it "
                         f"cannot be an input field of the signature")


def _completed() -> str:
    return "Completed."


def finish_tool(signature: Signature) -> Tool:
    """The tool that ends the trajectory, described with the module's output names."""
    outputs = ", ".join(f"`{k}`" for k in signature.output_fields)
    return Tool(_completed, name=FINISH, args={},
                desc=f"Marks the task as complete. That is, signals that all information for producing the "
                     f"outputs, i.e. {outputs}, are now available to be extracted.")


def instructions(signature: Signature, tools: list[Tool]) -> str:
    """ReAct's instructions for the ``react`` predictor (``tools`` ends with ``finish``), as DSPy
    reads them back (``cleandoc``)."""
    inputs = ", ".join(f"`{k}`" for k in signature.input_fields)
    outputs = ", ".join(f"`{k}`" for k in signature.output_fields)
    own = cleandoc(signature.instructions)
    lines = [f"{own}\n"] if own else []
    lines.extend([
        f"You are an Agent. In each episode, you will be given the fields {inputs} as input. And you can see your "
        f"past trajectory so far.",
        f"Your goal is to use one or more of the supplied tools to collect any necessary information for producing "
        f"{outputs}.\n",
        "To do this, you will interleave next_thought, next_tool_name, and next_tool_args in each turn, and also when "
        "finishing the task.",
        "After each tool call, you receive a resulting observation, which gets appended to your trajectory.\n",
        "When writing next_thought, you may reason about the current situation and plan for future steps.",
        "When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n",
    ])
    for index, tool in enumerate(tools):
        lines.append(f"({index + 1}) {tool}")
    lines.append("When providing `next_tool_args`, the value inside the field must be in JSON format")
    return cleandoc("\n".join(lines))


def react_signature(signature: Signature, tools: list[Tool], text: str | None = None) -> Signature:
    """The ``react`` predictor's signature (``tools`` ends with ``finish``); ``text`` replaces the
    instructions (a loaded program's)."""
    names = tuple(tool.name for tool in tools)
    base = Signature.from_fields(dict(signature.input_fields), {}, text if text is not None
                                 else instructions(signature, tools))
    return (base.append(TRAJECTORY, InputField(), str)
            .append(NEXT_THOUGHT, OutputField(), str)
            .append(NEXT_TOOL_NAME, OutputField(), Literal[names])
            .append(NEXT_TOOL_ARGS, OutputField(), dict[str, Any]))


def extract_signature(signature: Signature) -> Signature:
    """The ``extract`` ChainOfThought's signature: ``reasoning`` first among the outputs."""
    text = cleandoc(signature.instructions) or default_instructions(signature.input_fields, signature.output_fields)
    base = Signature.from_fields(dict(signature.input_fields), dict(signature.output_fields), text)
    return (base.append(TRAJECTORY, InputField(), str)
            .prepend(REASONING, OutputField(desc=f"${{{REASONING}}}"), str))
