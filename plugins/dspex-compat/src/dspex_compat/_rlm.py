"""DSPy's ``RLM`` (Recursive Language Model): the LM explores its inputs by writing Python code.

The inputs become variables in an interpreter; each step ``generate_action`` (a layer
``Predict``, so a dspex reference) writes ``reasoning`` and ``code``, the code runs, and its output
joins the REPL history the next step sees. The code may call ``llm_query``/``llm_query_batched``
on a sub-LM (at most ``max_llm_calls`` per call), the user's tools, and ends the run with
``SUBMIT(field=value, ...)``; after ``max_iters`` steps ``extract`` (another ``Predict``) answers
from the history. Both predictors are DSPy's, with DSPy's signatures and instructions, so
``named_predictors``, ``save``/``load`` and optimizers see ``generate_action`` and ``extract``.

The interpreter comes from a zero-argument factory (the module's, else
``dspy.settings.interpreter_factory``, else ``PythonInterpreter``, which the layer does not serve:
use ``dspy.LocalInterpreter`` or one's own), one per call, shut down at the end.

Code in the REPL may also ``import dspy`` and build sub-agents (``Predict``, ``ChainOfThought``,
``RLM``) that run on the host (:mod:`._facade`), when the interpreter can host that stand-in
module; where it cannot, the call goes on without sub-agents and its prompt drops their rules,
as DSPy's does.
"""

from __future__ import annotations

import base64
import functools
import inspect
import keyword
import logging
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from dspex_core import Prediction

from dspex_compat._chain_of_thought import ChainOfThought
from dspex_compat._dspy_errors import format_error_for_lm
from dspex_compat._facade import CALL_TOOL, CONSTRUCT_TOOL, FacadeInvocation, is_reserved_sandbox_name
from dspex_compat._fields import InputField, OutputField
from dspex_compat._interpreter import (
    SIMPLE_TYPES,
    CodeExecutionError,
    FinalOutput,
    resolve_interpreter_factory,
    validate_interpreter,
    validate_interpreter_factory,
)
from dspex_compat._module import Module
from dspex_compat._predict import Predict
from dspex_compat._python_interpreter import PythonInterpreter
from dspex_compat._repl_types import REPLEntry, REPLHistory, REPLVariable
from dspex_compat._rlm_code import strip_code_fences
from dspex_compat._rlm_llm_tools import LLMCallBudget, make_llm_tools
from dspex_compat._rlm_outputs import process_final_output
from dspex_compat._rlm_prompts import (
    ACTION_INSTRUCTIONS_TEMPLATE,
    EXTRACT_INSTRUCTIONS,
    SUB_AGENT_INSTRUCTIONS,
    format_interpreter_rules,
    format_tool_docs,
    output_field_line,
)
from dspex_compat._sandbox_serializable import SandboxSerializable, build_repl_variable
from dspex_compat._signature import Signature, ensure_signature
from dspex_compat._tool import Tool

__all__ = ["RLM"]

logger = logging.getLogger("dspy.predict.rlm")

class RLM(Module):
    """Recursive Language Model module (DSPy's ``dspy.RLM``, experimental there).

    Example::

        rlm = dspy.RLM("context, query -> output", max_iters=10, interpreter_factory=MyInterpreter)
        result = rlm(context="...very long text...", query="What is the magic number?")
    """

    _RESERVED_SANDBOX_NAMES = frozenset({"llm_query", "llm_query_batched", "SUBMIT", "print"})
    _RESERVED_RESULT_NAMES = frozenset({"trajectory", "final_reasoning"})

    def __init__(self, signature: Any, max_iters: int = 20, max_llm_calls: int = 50, max_output_chars: int = 10_000,
                 verbose: bool = False, tools: list[Callable] | None = None, sub_lm: Any = None,
                 interpreter_factory: Callable[[], Any] = PythonInterpreter):
        super().__init__()
        validate_interpreter_factory(interpreter_factory)
        self.signature = ensure_signature(signature)
        self.max_iters = max_iters
        self.max_llm_calls = max_llm_calls
        self.max_output_chars = max_output_chars
        self.verbose = verbose
        self.sub_lm = sub_lm
        self._interpreter_factory = interpreter_factory
        self._user_tools = self._normalize_tools(tools)
        self._validate_namespace(self._user_tools)
        action_sig, extract_sig = self._build_signatures()
        self._action_signature = action_sig
        self.generate_action = Predict(action_sig)
        self.extract = Predict(extract_sig)

    # -- tools and names ----------------------------------------------------------------------
    def _normalize_tools(self, tools: Any) -> dict[str, Tool]:
        if not tools:
            return {}
        if isinstance(tools, dict):
            raise TypeError("tools must be a list, not a dict. Change tools={'name': func} to tools=[func] "
                            "(tool names are inferred from function names, or use dspy.Tool(func, name='custom_name'))")
        normalized: dict[str, Tool] = {}
        for value in tools:
            if isinstance(value, Tool):
                tool = value
            elif not callable(value):
                raise TypeError(f"Tool {value!r} must be callable, got {type(value).__name__}")
            else:
                tool = Tool(value)
            if tool.name in normalized:
                raise ValueError(f"Duplicate tool name '{tool.name}'")
            normalized[tool.name] = tool
        return normalized

    def _is_reserved(self, name: str) -> bool:
        return name in self._RESERVED_SANDBOX_NAMES or is_reserved_sandbox_name(name)

    def _validate_namespace(self, tools: dict[str, Tool]) -> None:
        for name in tools:
            if not name.isidentifier() or keyword.iskeyword(name):
                raise ValueError(f"Invalid tool name '{name}': must be a valid Python identifier and not a keyword")
            if self._is_reserved(name):
                raise ValueError(f"Tool name '{name}' conflicts with built-in sandbox function")
        input_names = set(self.signature.input_fields)
        if "interpreter_factory" in input_names:
            raise ValueError("'interpreter_factory' is reserved for RLM runtime configuration, not a signature input.")
        reserved_inputs = sorted(name for name in input_names if self._is_reserved(name))
        if reserved_inputs:
            raise ValueError(f"Input fields conflict with built-in sandbox functions: {reserved_inputs}")
        tool_inputs = sorted(input_names & tools.keys())
        if tool_inputs:
            raise ValueError(f"Input fields conflict with user tools: {tool_inputs}")
        reserved_outputs = sorted(set(self.signature.output_fields) & self._RESERVED_RESULT_NAMES)
        if reserved_outputs:
            raise ValueError(f"Output fields conflict with RLM result metadata: {reserved_outputs}")

    def _format_tool_docs(self, tools: dict[str, Tool]) -> str:
        return format_tool_docs(tools)

    def _make_llm_tools(self, budget: LLMCallBudget | None = None, max_workers: int = 8) -> dict[str, Callable]:
        """``llm_query`` and ``llm_query_batched`` drawing on ``budget`` (a fresh one by default)."""
        budget = budget if budget is not None else LLMCallBudget(self.max_llm_calls)
        return make_llm_tools(self.sub_lm, budget, max_workers=max_workers)

    @property
    def tools(self) -> dict[str, Tool]:
        """User-provided tools (not the built-in llm_query/llm_query_batched)."""
        return dict(self._user_tools)

    # -- signatures ---------------------------------------------------------------------------
    def _build_signatures(self) -> tuple[type[Signature], type[Signature]]:
        """The action and extract signatures, DSPy's."""
        inputs_str = ", ".join(f"`{n}`" for n in self.signature.input_fields)
        final_output_names = ", ".join(self.signature.output_fields.keys())
        output_fields = "\n".join(f"- {output_field_line(n, f)}" for n, f in self.signature.output_fields.items())
        task_instructions = f"{self.signature.instructions}\n\n" if self.signature.instructions else ""
        tool_docs = self._format_tool_docs(self._user_tools)
        factory = resolve_interpreter_factory(self._interpreter_factory)
        execution_instructions = self._get_execution_instructions(factory)
        self._initial_execution_instructions = execution_instructions
        self._initial_sub_agent_rules = SUB_AGENT_INSTRUCTIONS
        self._initial_interpreter_rules = format_interpreter_rules(execution_instructions, SUB_AGENT_INSTRUCTIONS)
        instructions = task_instructions + ACTION_INSTRUCTIONS_TEMPLATE.format(
            inputs=inputs_str, final_output_names=final_output_names, output_fields=output_fields,
            max_llm_calls=self.max_llm_calls, interpreter_rules=self._initial_interpreter_rules) + tool_docs
        action_sig = (
            Signature({}, instructions)
            .append("variables_info", InputField(desc="Metadata about the variables available in the REPL"), type_=str)
            .append("repl_history", InputField(desc="Previous REPL code executions and their outputs"), type_=REPLHistory)
            .append("iteration", InputField(desc="Current iteration number (1-indexed) out of max_iters"), type_=str)
            .append("reasoning", OutputField(
                desc="Think step-by-step: what do you know? What remains? Plan your next action."), type_=str)
            .append("code", OutputField(
                desc="Python code to execute. Use markdown code block format: ```python\\n<code>\\n```"), type_=str)
        )
        objective = ("The trajectory was generated with the following objective: \n" + task_instructions + "\n"
                     if task_instructions else "")
        extract_sig = Signature({**self.signature.output_fields}, objective + EXTRACT_INSTRUCTIONS)
        extract_sig = extract_sig.prepend("repl_history", InputField(desc="Your REPL interactions so far"),
                                          type_=REPLHistory)
        extract_sig = extract_sig.prepend("variables_info", InputField(
            desc="Metadata about the variables available in the REPL"), type_=str)
        return action_sig, extract_sig

    @staticmethod
    def _format_interpreter_rules(execution_instructions: str, sub_agent_rules: str) -> str:
        return format_interpreter_rules(execution_instructions, sub_agent_rules)

    @staticmethod
    def _get_execution_instructions(factory: Callable[[], Any]) -> str:
        execution_instructions = getattr(factory, "execution_instructions", "")
        if not isinstance(execution_instructions, str):
            raise TypeError("interpreter_factory.execution_instructions must be a string")
        return execution_instructions

    def _action_signature_for_current_factory(self, factory: Callable[[], Any], sub_agent_rules: str) -> Any:
        """The action signature with the active interpreter's rules (DSPy's: only its own fragment
        is replaced, so an optimizer's instructions stay)."""
        execution_instructions = self._get_execution_instructions(factory)
        current_signature = getattr(self.generate_action, "signature", self._action_signature)
        if (execution_instructions == self._initial_execution_instructions
                and sub_agent_rules == self._initial_sub_agent_rules):
            return current_signature
        key = (id(current_signature), execution_instructions, sub_agent_rules)
        derived = self.__dict__.get("_derived_action_signature")
        if derived is not None and derived[0] == key and derived[1] is current_signature:
            return derived[2]
        current_instructions = current_signature.instructions
        current_rules = format_interpreter_rules(execution_instructions, sub_agent_rules)
        if self._initial_interpreter_rules and self._initial_interpreter_rules in current_instructions:
            instructions = current_instructions.replace(self._initial_interpreter_rules, current_rules, 1)
        elif current_rules:
            instructions = current_instructions + current_rules
        else:
            instructions = current_instructions
        signature = current_signature.with_instructions(instructions)
        # kept, so each step's predictor call reuses one dspex reference
        self.__dict__["_derived_action_signature"] = (key, current_signature, signature)
        return signature

    # -- inputs and outputs -------------------------------------------------------------------
    def _get_output_fields_info(self) -> list[dict]:
        """Output fields for SUBMIT()'s signature in the sandbox (types only where simple)."""
        fields = []
        for name, field in self.signature.output_fields.items():
            annotation = getattr(field, "annotation", str)
            info = {"name": name}
            if annotation in SIMPLE_TYPES:
                info["type"] = annotation.__name__
            fields.append(info)
        return fields

    def _build_variables(self, **input_args: Any) -> list[REPLVariable]:
        variables = []
        for name, value in input_args.items():
            field_info = self.signature.input_fields.get(name)
            if isinstance(value, SandboxSerializable):
                variables.append(build_repl_variable(value, name, field_info=field_info))
            else:
                variables.append(REPLVariable.from_value(name, value, field_info=field_info))
        return variables

    def _format_output(self, output: str) -> str:
        if not output:
            return "(no output - did you forget to print?)"
        return output

    def _validate_inputs(self, input_args: dict[str, Any]) -> None:
        input_names = set(self.signature.input_fields)
        unexpected = set(input_args) - input_names
        if unexpected:
            raise ValueError(f"Unexpected inputs not declared in the signature: {sorted(unexpected)}")
        missing = input_names - set(input_args)
        if missing:
            raise ValueError(f"Missing required inputs: {sorted(missing)}")

    def _prepare_serializable_vars(self, input_args: dict[str, Any], repl: Any) -> dict[str, Any]:
        """Run each ``SandboxSerializable`` input's setup and assignment in ``repl`` (its bytes
        travel as a variable, base64 when not UTF-8); return the other inputs."""
        repl.start()
        regular_args = {}
        for name, value in input_args.items():
            if not isinstance(value, SandboxSerializable):
                regular_args[name] = value
                continue
            payload = value.to_sandbox()
            setup = value.sandbox_setup()
            raw_var_name = f"_raw_{name}"
            assignment = value.sandbox_assignment(name, raw_var_name)
            code_lines: list[str] = []
            payload_vars: dict[str, str] = {}
            if isinstance(payload, bytes):
                try:
                    payload_vars[raw_var_name] = payload.decode("utf-8")
                except UnicodeDecodeError:
                    encoded = f"{raw_var_name}_base64"
                    payload_vars[encoded] = base64.b64encode(payload).decode("ascii")
                    code_lines.extend(["import base64", f"{raw_var_name} = base64.b64decode({encoded})"])
            else:
                payload_vars[raw_var_name] = str(payload)
            if setup:
                code_lines.append(setup)
            code_lines.append(assignment)
            repl.execute("\n".join(code_lines), variables=payload_vars)
        return regular_args

    # -- the interpreter ----------------------------------------------------------------------
    def _make_interpreter_tool(self, tool: Tool) -> Callable:
        """The tool as the interpreter calls it, with the function's name and signature."""
        if inspect.iscoroutinefunction(tool.func) or inspect.iscoroutinefunction(getattr(tool.func, "__call__", None)):
            async def invoke(**kwargs: Any) -> Any:
                return await tool.acall(**kwargs)
        else:
            def invoke(**kwargs: Any) -> Any:
                return tool(**kwargs)
        functools.update_wrapper(invoke, tool.func)
        invoke.__signature__ = inspect.signature(tool.func)  # type: ignore[attr-defined]
        return invoke

    def _prepare_execution_tools(self, budget: LLMCallBudget | None = None) -> dict[str, Callable]:
        budget = budget if budget is not None else LLMCallBudget(self.max_llm_calls)
        execution_tools = self._make_llm_tools(budget)
        execution_tools.update({name: self._make_interpreter_tool(tool) for name, tool in self._user_tools.items()})
        return execution_tools

    def _inject_execution_context(self, interpreter: Any, execution_tools: dict[str, Callable]) -> None:
        """Fresh tools (and the output fields SUBMIT takes) into the interpreter, every call."""
        interpreter.tools.update(execution_tools)
        if hasattr(interpreter, "output_fields"):
            interpreter.output_fields = self._get_output_fields_info()
        if hasattr(interpreter, "_tools_registered"):
            interpreter._tools_registered = False

    @contextmanager
    def _interpreter_context(self, execution_tools: dict[str, Callable], factory: Callable[[], Any]) -> Iterator[Any]:
        """One interpreter for this call, shut down when it ends (also on failure)."""
        validate_interpreter_factory(factory)
        interpreter = factory()
        validate_interpreter(interpreter)
        try:
            self._inject_execution_context(interpreter, execution_tools)
            yield interpreter
        finally:
            interpreter.shutdown()

    def _setup_facade(self, repl: Any, budget: LLMCallBudget, interpreter_factory: Callable[[], Any]) -> str:
        """Install the sandbox dspy facade in this call's interpreter; return its sub-agent rules
        (empty, and no sub-agents, when the interpreter cannot host it). Sub-agents use ``sub_lm``
        (else ``dspy.settings.lm``) and charge ``max_llm_calls``; nested RLMs run on this factory."""
        from dspex_compat._code_act import CodeAct
        from dspex_compat._program_of_thought import ProgramOfThought
        from dspex_compat._react import ReAct
        from dspex_compat._react_v2 import ReActV2

        kinds = {"Predict": Predict, "ChainOfThought": ChainOfThought, "RLM": RLM, "CodeAct": CodeAct,
                 "ProgramOfThought": ProgramOfThought, "ReAct": ReAct, "ReActV2": ReActV2}
        invocation = FacadeInvocation(self._user_tools, interpreter_factory, kinds, lm=self.sub_lm,
                                      reserve=budget.reserve)
        try:
            invocation.install(repl)
        except (CodeExecutionError, SyntaxError) as e:
            for name in (CONSTRUCT_TOOL, CALL_TOOL):
                repl.tools.pop(name, None)
            logger.warning("RLM sub-agents are unavailable on %s: %s", type(repl).__name__, e)
            return ""
        return SUB_AGENT_INSTRUCTIONS

    # -- the loop -----------------------------------------------------------------------------
    def _process_execution_result(self, pred: Any, code: str, result: Any, history: REPLHistory,
                                  output_field_names: list[str]) -> Prediction | REPLHistory:
        """A ``Prediction`` when the code submitted valid outputs, else the history with this step."""
        if isinstance(result, str) and result.startswith("[Error]"):
            return history.append(reasoning=pred.reasoning, code=code, output=self._format_output(result))
        if isinstance(result, FinalOutput):
            fields = {name: self.signature.output_fields[name] for name in output_field_names}
            parsed, error = process_final_output(result.output, fields)
            if error:
                return history.append(reasoning=pred.reasoning, code=code, output=error)
            final_history = history.append(reasoning=pred.reasoning, code=code, output=f"FINAL: {parsed}")
            return Prediction(**parsed, trajectory=[e.model_dump() for e in final_history],
                              final_reasoning=pred.reasoning)
        if isinstance(result, list):
            output = "\n".join(map(str, result))
        else:
            output = str(result) if result else ""
        output = self._format_output(output)
        if self.verbose:
            logger.info(REPLEntry.format_output(output, self.max_output_chars))
        return history.append(reasoning=pred.reasoning, code=code, output=output)

    def _execute_code(self, repl: Any, code: str, input_args: dict[str, Any]) -> Any:
        """The interpreter's result, or ``[Error] ...`` for the code's own failures."""
        try:
            return repl.execute(code, variables=dict(input_args))
        except (CodeExecutionError, SyntaxError) as e:
            return f"[Error] {format_error_for_lm(e)}"

    def _run_action(self, action: Any, repl: Any, history: REPLHistory, iteration: int,
                    input_args: dict[str, Any], output_field_names: list[str]) -> Prediction | REPLHistory:
        if self.verbose:
            logger.info(f"RLM iteration {iteration + 1}/{self.max_iters}\n"
                        f"Reasoning: {action.reasoning}\nCode:\n{action.code}")
        try:
            code = strip_code_fences(action.code)
        except SyntaxError as e:
            return self._process_execution_result(action, action.code, f"[Error] {format_error_for_lm(e)}",
                                                  history, output_field_names)
        result = self._execute_code(repl, code, input_args)
        return self._process_execution_result(action, code, result, history, output_field_names)

    def _action_inputs(self, variables: list[REPLVariable], history: REPLHistory, iteration: int,
                       factory: Callable[[], Any], sub_agent_rules: str) -> dict[str, Any]:
        # A per-call signature (not a change to generate_action.signature) keeps a dspy.context
        # override local to this call.
        return {"signature": self._action_signature_for_current_factory(factory, sub_agent_rules),
                "variables_info": [v.format() for v in variables], "repl_history": history,
                "iteration": f"{iteration + 1}/{self.max_iters}"}

    def _execute_iteration(self, repl: Any, variables: list[REPLVariable], history: REPLHistory, iteration: int,
                           input_args: dict[str, Any], output_field_names: list[str],
                           interpreter_factory: Callable[[], Any], sub_agent_rules: str) -> Prediction | REPLHistory:
        action = self.generate_action(**self._action_inputs(variables, history, iteration, interpreter_factory,
                                                            sub_agent_rules))
        return self._run_action(action, repl, history, iteration, input_args, output_field_names)

    async def _aexecute_iteration(self, repl: Any, variables: list[REPLVariable], history: REPLHistory,
                                  iteration: int, input_args: dict[str, Any], output_field_names: list[str],
                                  interpreter_factory: Callable[[], Any],
                                  sub_agent_rules: str) -> Prediction | REPLHistory:
        action = await self.generate_action.acall(**self._action_inputs(
            variables, history, iteration, interpreter_factory, sub_agent_rules))
        return self._run_action(action, repl, history, iteration, input_args, output_field_names)

    def _extract_inputs(self, variables: list[REPLVariable], history: REPLHistory) -> dict[str, Any]:
        logger.warning("RLM reached max iterations, using extract to get final output")
        return {"variables_info": [v.format() for v in variables], "repl_history": history}

    def _extracted(self, extract_pred: Any, history: REPLHistory, output_field_names: list[str]) -> Prediction:
        return Prediction(trajectory=[e.model_dump() for e in history], final_reasoning="Extract forced final output",
                          **{name: getattr(extract_pred, name) for name in output_field_names})

    def _extract_fallback(self, variables: list[REPLVariable], history: REPLHistory,
                          output_field_names: list[str]) -> Prediction:
        """The extract predictor's answer from the history, when max_iters is reached."""
        return self._extracted(self.extract(**self._extract_inputs(variables, history)), history, output_field_names)

    async def _aextract_fallback(self, variables: list[REPLVariable], history: REPLHistory,
                                 output_field_names: list[str]) -> Prediction:
        extract_pred = await self.extract.acall(**self._extract_inputs(variables, history))
        return self._extracted(extract_pred, history, output_field_names)

    def _start(self, input_args: dict[str, Any],
               interpreter_factory: Callable[[], Any] | None) -> tuple[Callable[[], Any], LLMCallBudget, Any, Any]:
        self._validate_inputs(input_args)
        if interpreter_factory is None:
            interpreter_factory = resolve_interpreter_factory(self._interpreter_factory)
        budget = LLMCallBudget(self.max_llm_calls)
        return interpreter_factory, budget, self._prepare_execution_tools(budget), self._build_variables(**input_args)

    def forward(self, *, interpreter_factory: Callable[[], Any] | None = None, **input_args: Any) -> Prediction:
        """Run the REPL loop on the inputs; ``interpreter_factory`` overrides the module's for this call."""
        factory, budget, tools, variables = self._start(input_args, interpreter_factory)
        output_field_names = list(self.signature.output_fields.keys())
        with self._interpreter_context(tools, factory) as repl:
            sub_agent_rules = self._setup_facade(repl, budget, factory)
            regular_args = self._prepare_serializable_vars(input_args, repl)
            history = REPLHistory(max_output_chars=self.max_output_chars)
            for iteration in range(self.max_iters):
                result = self._execute_iteration(repl, variables, history, iteration, regular_args,
                                                 output_field_names, factory, sub_agent_rules)
                if isinstance(result, Prediction):
                    return result
                history = result
            return self._extract_fallback(variables, history, output_field_names)

    async def aforward(self, *, interpreter_factory: Callable[[], Any] | None = None,
                       **input_args: Any) -> Prediction:
        """Async :meth:`forward` (the predictors are called with ``acall``)."""
        factory, budget, tools, variables = self._start(input_args, interpreter_factory)
        output_field_names = list(self.signature.output_fields.keys())
        with self._interpreter_context(tools, factory) as repl:
            sub_agent_rules = self._setup_facade(repl, budget, factory)
            regular_args = self._prepare_serializable_vars(input_args, repl)
            history = REPLHistory(max_output_chars=self.max_output_chars)
            for iteration in range(self.max_iters):
                result = await self._aexecute_iteration(repl, variables, history, iteration, regular_args,
                                                        output_field_names, factory, sub_agent_rules)
                if isinstance(result, Prediction):
                    return result
                history = result
            return await self._aextract_fallback(variables, history, output_field_names)
