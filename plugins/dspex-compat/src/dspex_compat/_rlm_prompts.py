"""RLM's prompts, DSPy's byte for byte: the action instructions (with the interpreter's rules and
the user's tools), the sub-agent rules, the extract instructions, and the note each output field
gets in them (DSPy's ``translate_field_type``).
"""

from __future__ import annotations

import enum
import inspect
import json
from typing import Any, Literal

__all__ = ["ACTION_INSTRUCTIONS_TEMPLATE", "SUB_AGENT_INSTRUCTIONS", "EXTRACT_INSTRUCTIONS", "output_field_line",
           "format_tool_docs", "format_interpreter_rules"]

ACTION_INSTRUCTIONS_TEMPLATE = """You are tasked with producing the following outputs given the inputs {inputs}:
{output_fields}

You have access to a Python REPL environment. Write Python code and it will be executed. You will see the output, then write more code based on what you learned. This is an iterative process.
{interpreter_rules}
Available:
- Variables: {inputs} (your input data)
- `llm_query(prompt)` - query a sub-LLM (~500K char capacity) for semantic analysis
- `llm_query_batched(prompts)` - query multiple prompts concurrently (much faster for multiple queries)
- `print()` - ALWAYS print to see results
- `SUBMIT({final_output_names})` - submit final output when done

IMPORTANT: This is ITERATIVE. Each code block you write will execute, you'll see the output, then you decide what to do next. Do NOT try to solve everything in one step.

1. EXPLORE FIRST - Look at your data before processing it. Print samples, check types/lengths, understand the structure.
2. ITERATE - Write small code snippets, observe outputs, then decide next steps. State persists between iterations.
3. VERIFY BEFORE SUBMITTING - If results seem wrong (zeros, empty, unexpected), reconsider your approach.
4. USE llm_query FOR SEMANTICS - String matching finds WHERE things are; llm_query understands WHAT things mean.
5. MINIMIZE RETYPING (INPUTS & OUTPUTS) - When values are long, precise, or error-prone (IDs, numbers, code, quotes), re-access them via variables and parse/compute in code instead of retyping. Use small, targeted prints to sanity-check, but avoid manual copying when variables can carry the exact value.
6. SUBMIT ONLY AFTER SEEING OUTPUTS - SUBMIT ends the current run immediately. If you need to inspect printed output, run it in one step, review the result, then call SUBMIT in a later step.

You have max {max_llm_calls} sub-LLM calls. When done, call SUBMIT() with your output."""

#: Part of the interpreter rules whenever the sandbox dspy facade is installed (DSPy's wording).
SUB_AGENT_INSTRUCTIONS = """
Sub-agents (dspy):
You may `import dspy` and build sub-agents in the REPL for subtasks that need structured inputs/outputs.
- `dspy.Predict("question -> answer")(question=...)` or `dspy.ChainOfThought(...)` - single-step sub-agents.
- `dspy.ReActV2("question -> answer", tools=[...])(question=...)` - a multi-step tool-using sub-agent.
  Only the provided tools listed above may be passed; functions you define in the REPL cannot cross to the host.
- `dspy.RLM("context, query -> answer")(context=..., query=...)` - a recursive sub-agent with its own
  REPL on the same interpreter backend as yours; it cannot be given another `interpreter_factory`.
  This is the heaviest option: reserve it for deep subtasks whose input is itself too large or
  structured to prompt directly, and prefer Predict/ChainOfThought/ReActV2 for everything else.
Prefer `llm_query` for simple one-shot prompts; use sub-agents for structured, tool-using, or
recursive subtasks.
"""

EXTRACT_INSTRUCTIONS = """Based on the REPL trajectory, extract the final outputs now.

            Review your trajectory to see what information you gathered and what values you computed, then provide the final outputs."""


def format_interpreter_rules(execution_instructions: str, sub_agent_rules: str) -> str:
    """The interpreter's own description (if any) followed by the sub-agent rules."""
    rules = f"\nExecution environment:\n{execution_instructions}\n" if execution_instructions else ""
    return rules + sub_agent_rules


def format_tool_docs(tools: dict[str, Any]) -> str:
    """The user's tools as the action instructions list them (empty without tools)."""
    if not tools:
        return ""
    lines = ["\nAdditional tools available (use these instead of standard library equivalents):"]
    for tool in tools.values():
        params = ", ".join(f"{arg}: {schema.get('type', 'Any')}" for arg, schema in (tool.args or {}).items())
        desc = (tool.desc or "No description").replace("\n", "  ")
        lines.append(f"- `{tool.name}({params})` - {desc}")
    return "\n".join(lines)


def output_field_line(name: str, field: Any) -> str:
    """``{name}`` plus DSPy's note on the value's type (none for ``str``)."""
    annotation = field.annotation
    if annotation is str or getattr(annotation, "__name__", None) == "Reasoning":
        desc = ""
    elif annotation is bool:
        desc = "must be True or False"
    elif annotation in (int, float):
        desc = f"must be a single {annotation.__name__} value"
    elif inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        desc = f"must be one of: {'; '.join(str(member.value) for member in annotation)}"
    elif getattr(annotation, "__origin__", None) is Literal:
        desc = ("must exactly match (no extra characters) one of: "
                f"{'; '.join(str(x) for x in annotation.__args__)}")
    else:
        desc = f"must adhere to the JSON schema: {json.dumps(_json_schema(annotation), ensure_ascii=False)}"
    note = (" " * 8) + f"# note: the value you produce {desc}" if desc else ""
    return f"{{{name}}}{note}"


def _json_schema(annotation: Any) -> Any:
    """pydantic's JSON schema, ``type`` first in every object (DSPy's order, for the LM's reading)."""
    from pydantic import TypeAdapter

    def type_first(d: Any) -> Any:
        if isinstance(d, dict):
            return {k: type_first(v) for k, v in sorted(d.items(), key=lambda item: (item[0] != "type", item[0]))}
        if isinstance(d, list):
            return [type_first(item) for item in d]
        return d

    return type_first(TypeAdapter(annotation).json_schema())
