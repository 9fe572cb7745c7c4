"""DSPy 3.4's ``GroundedProposer`` as MIPROv2 uses it: one instruction proposal per predictor
and demo set, grounded in a summary of the data, the program, its bootstrapped demos and a tip.

For predictor ``i`` and demo set ``j < min(N, number of sets)``, in that order:

1. the tip: with ``tip_aware_proposer``, ``rng.choice`` over DSPy's ``TIPS`` (``"none"`` means
   no tip field);
2. the LM: the prompt model copied with ``rollout_id=rng.randint(0, 10**9)`` and
   ``temperature=init_temperature`` (so each proposal is a fresh sample);
3. with ``program_aware_proposer``, a description of the program (DSPy's ``DescribeProgram``)
   and of the module (``DescribeModule``); a failure of either keeps what was found so far;
4. the proposal (DSPy's ``GenerateSingleModuleInstruction``, whose fields depend on the flags),
   shown up to three augmented demos from set ``j`` and the sets after it (none for set 0),
   and the predictor's own instructions; ``strip_prefix`` cleans the reply.

With ``data_aware_proposer``, a summary of the trainset comes first (DSPy's
``create_dataset_summary``: observations on batches of ``view_data_batch_size`` examples, shown
as DSPy's ``repr`` of its ``Example`` list, then a summary); if it fails the proposer runs
without it, as DSPy does.

One difference is by design: DSPy's program-aware proposer shows the LM the Python source of
the program's classes (``inspect.getsource`` of dspy's own ``ReAct``, ``MultiChainComparison``,
..., and of a signature class defined in a file) besides pydantic's repr of string signatures.
For ``Predict`` and ``ChainOfThought`` no source is quoted and native sends the same text; for
other module types native shows its own description of the predictors (:func:`program_code`),
and the proposals that follow differ.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Mapping, Sequence

from dspex_native.lm.defaults import with_defaults
from dspex_native.optimizers.bootstrap import LOGGER
from dspex_native.optimizers.program import Program

#: DSPy's ``TIPS``, in its order (``rng.choice`` over the keys)
TIPS = {
    "none": "",
    "creative": "Don't be afraid to be creative when creating the new instruction!",
    "simple": "Keep the instruction clear and concise.",
    "description": "Make sure your instruction is very informative and descriptive.",
    "high_stakes": "The instruction should include a high stakes scenario in which the LM must solve the task!",
    "persona": 'Include a persona that is relevant to the task in the instruction (ie. "You are a ...")',
}
#: DSPy's ``BOOTSTRAPPED_FEWSHOT_EXAMPLES_IN_CONTEXT``
DEMOS_IN_CONTEXT = 3
_PIPELINE = "Below is some pseudo-code for a pipeline that solves tasks with calls to language models. "
_PROGRAM_CODE = "Pseudocode for a language model program designed to solve a particular task."
_PROGRAM_SUMMARY = "Summary of the task the program is designed to solve, and how it goes about solving it."
_DATASET = ("Given several examples from a dataset please write observations about trends that hold for most or all "
            "of the samples. ")
_GUESS = ("It will be useful to make an educated guess as to the nature of the task this dataset will enable. Don't be "
          "afraid to be creative")
_SAMPLE = "Sample data points from the dataset"

#: The signatures DSPy's proposer and dataset summarizer ask with: instructions, inputs and
#: outputs as ``(name, description)``.
SIGNATURES: Mapping[str, tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {
    "describe_program": (
        _PIPELINE + "Please describe what type of task this program appears to be designed to solve, and how it "
                    "appears to work.",
        (("program_code", _PROGRAM_CODE), ("program_example", "An example of the program in use.")),
        (("program_description", "Describe what task the program is designed to solve, and how it goes about "
                                 "solving this task."),)),
    "describe_module": (
        _PIPELINE + "Please describe the purpose of one of the specified module in this pipeline.",
        (("program_code", _PROGRAM_CODE), ("program_example", "An example of the program in use."),
         ("program_description", _PROGRAM_SUMMARY),
         ("module", "The module in the program that we want to describe.")),
        (("module_description", "Description of the module's role in the broader program."),)),
    "dataset_descriptor": (
        _DATASET + "Some areas you may consider in your observations: topics, content, syntax, conciseness, etc. "
        + _GUESS,
        (("examples", _SAMPLE),),
        (("observations", "Somethings that holds true for most or all of the data you observed"),)),
    "dataset_descriptor_with_prior": (
        _DATASET + "I will also provide you with a few observations I have already made.  Please add your own "
                   "observations or if you feel the observations are comprehensive say 'COMPLETE' Some areas you "
                   "may consider in your observations: topics, content, syntax, conciceness, etc. " + _GUESS,
        (("examples", _SAMPLE), ("prior_observations", "Some prior observations I made about the data")),
        (("observations", "Somethings that holds true for most or all of the data you observed or COMPLETE if you "
                          "have nothing to add"),)),
    "observation_summarizer": (
        "Given a series of observations I have made about my dataset, please summarize them into a brief 2-3 "
        "sentence summary which highlights only the most important details.",
        (("observations", "Observations I have made about my dataset"),),
        (("summary", "Two to Three sentence summary of only the most significant highlights of my observations"),)),
}
_GENERATE = ("Use the information below to learn about a task that we are trying to solve using calls to an LM, then "
             "generate a new instruction that will be used to prompt a Language Model to better solve the task.")
#: ``GenerateSingleModuleInstruction``'s inputs in its order, with the flag that includes each
_GENERATE_INPUTS = (
    ("dataset_description", "A description of the dataset that we are using.", "data"),
    ("program_code", "Language model program designed to solve a particular task.", "program"),
    ("program_description", _PROGRAM_SUMMARY, "program"),
    ("module", "The module to create an instruction for.", "program"),
    ("module_description", "Description of the module to create an instruction for.", "program"),
    ("task_demos", "Example inputs/outputs of our module.", None),
    ("basic_instruction", "Basic instruction.", None),
    ("tip", "A suggestion for how to go about generating the new instruction.", "tip"),
)
_PROPOSED = ("proposed_instruction", "Propose an instruction that will be used to prompt a Language Model to perform "
                                     "this task.")


def _signature(instructions: str, inputs: Sequence[tuple[str, str]], outputs: Sequence[tuple[str, str]]) -> Any:
    from dspex_core.backend import Field, Signature

    return Signature.from_fields({name: Field(name, "input", str, desc) for name, desc in inputs},
                                 {name: Field(name, "output", str, desc) for name, desc in outputs}, instructions)


@functools.cache
def named_signature(name: str) -> Any:
    return _signature(*SIGNATURES[name])


@functools.cache
def generate_signature(data: bool, program: bool, tip: bool) -> Any:
    """``generate_instruction_class(...)``'s signature for these flags (no instruction history:
    MIPROv2 never uses it)."""
    flags = {"data": data, "program": program, "tip": tip, None: True}
    inputs = [(name, desc) for name, desc, flag in _GENERATE_INPUTS if flags[flag]]
    return _signature(_GENERATE, inputs, [_PROPOSED])


def ask(signature: Any, inputs: Mapping[str, Any], lm: Any, config: Mapping[str, Any] | None = None) -> Any:
    """``dspy.Predict(signature, **config)(**inputs)`` on ``lm``: the prediction."""
    from dspex_native.predictor import call
    from dspex_native.predictor.state import build_state

    state = build_state("predict", signature, {}, dict(config or {}))
    return call.execute(state, dict(inputs), lm=lm)


_PREFIX = re.compile(r"^[\*\s]*(([\w\'\-]+\s+){0,4}[\w\'\-]+):\s*")


def strip_prefix(text: str) -> str:
    """DSPy's ``strip_prefix``: drop a leading ``Label:`` of up to five words, then quotes."""
    return _PREFIX.sub("", text).strip('"')


# -- the dataset summary -------------------------------------------------------------------------
_INPUT_KEYS = re.compile(r"input_keys=\{([^\}]+)\}")


def _sorted_keys(match: re.Match) -> str:
    keys = sorted(key.strip() for key in match.group(1).split(","))
    return f"input_keys={{{', '.join(keys)}}}"


def examples_repr(examples: Sequence[Any]) -> str:
    """DSPy's ``order_input_keys_in_string(repr(examples))`` for these examples as ``dspy.Example``
    objects: ``[Example({...}) (input_keys={...}), ...]`` with the input keys sorted."""
    parts = []
    for example in examples:
        store = {k: v for k, v in example.toDict().items() if not k.startswith("dspy_")}
        keys = example.input_keys
        parts.append(f"Example({store!r}) (input_keys={set(keys) if keys is not None else None!r})")
    return _INPUT_KEYS.sub(_sorted_keys, "[" + ", ".join(parts) + "]")


def dataset_summary(trainset: Sequence[Any], batch_size: int, lm: Any) -> str:
    """DSPy's ``create_dataset_summary``: raises when the first observation or the summary fails."""
    sampling = {"n": 1, "temperature": 1.0}
    observations = ask(named_signature("dataset_descriptor"),
                       {"examples": examples_repr(trainset[:min(len(trainset), batch_size)])}, lm,
                       sampling)["observations"]
    skips = 0
    try:
        calls = 0
        for start in range(batch_size, len(trainset), batch_size):
            calls += 1
            if calls >= 10:
                break
            batch = trainset[start:min(len(trainset), start + batch_size)]
            found = ask(named_signature("dataset_descriptor_with_prior"),
                        {"prior_observations": observations, "examples": examples_repr(batch)}, lm,
                        sampling)["observations"]
            if len(found) >= 8 and found[:8].upper() == "COMPLETE":
                skips += 1
                if skips >= 5:
                    break
                continue
            observations += found
    except Exception as error:  # noqa: BLE001 - DSPy keeps the observations made so far
        LOGGER.info("Dataset summary: %s; using the observations made so far.", error)
    summary = ask(named_signature("observation_summarizer"), {"observations": observations}, lm, sampling)["summary"]
    return strip_prefix(summary)


# -- the program as the proposer shows it ------------------------------------------------------------
def program_code(program: Program) -> str:
    """What the program-aware proposer shows as the program's code (DSPy's ``get_dspy_source_code``).

    DSPy shows nothing for a bare ``Predict`` (``"\\n\\n"``), and for a ``ChainOfThought`` the
    repr of its inner signature (for a signature made from a string; a signature class defined
    in a file is shown as its source): native writes both alike. For other module types DSPy
    adds the Python source of its own class, which native does not quote: it describes each
    predictor by its name, signature and instructions instead (see the module docstring)."""
    if program.module_type == "predict":
        return "\n\n"
    if program.module_type == "chain_of_thought":
        (name, predictor), = program.named_predictors()
        return signature_repr(predictor.signature, program.signatures()[name]) + "\n\n\n\n"
    lines = []
    for name, predictor in program.named_predictors():
        signature = predictor.signature
        lines.append(f"{name} = Predict({signature.signature})\n    instructions={signature.instructions!r}")
    return "\n\n".join(lines) + f"\n\n# module type: {program.module_type}"


def signature_repr(signature: Any, saved: Mapping[str, Any]) -> str:
    """``str()`` of a ``dspy.Signature`` made from a string, as ``ChainOfThought`` holds it (its
    ``reasoning`` field prepended): the names, the instructions and pydantic's repr of each field."""
    from dspex_core.backend import type_name

    names = [*signature.input_fields, *signature.output_fields]
    lines = []
    for (name, field), shown in zip([*signature.input_fields.items(), *signature.output_fields.items()],
                                    saved["fields"]):
        prefix, desc = shown["prefix"], shown["description"]
        if field.kind == "input":
            extra = {"IS_TYPE_UNDEFINED": not field.type_given, "__dspy_field_type": "input", "prefix": prefix,
                     "desc": desc}
        elif name == "reasoning":
            extra = {"desc": desc, "__dspy_field_type": "output", "prefix": prefix}
        else:
            extra = {"__dspy_field_type": "output", "prefix": prefix, "desc": desc}
        lines.append(f"{name} = Field(annotation={type_name(field.annotation)} required=True "
                     f"json_schema_extra={extra!r})")
    inputs, outputs = names[:len(signature.input_fields)], names[len(signature.input_fields):]
    return (f"StringSignature({', '.join(inputs)} -> {', '.join(outputs)}\n    "
            f"instructions={saved['instructions']!r}\n    " + "\n    ".join(lines) + "\n)")


def module_code(fields: Sequence[tuple[str, str, str]]) -> str:
    """DSPy's ``f"{predictor.__class__.__name__}({inputs}) -> {outputs}"``; every predictor DSPy
    lists is a ``Predict``."""
    inputs = [name for name, kind, _ in fields if kind == "input"]
    outputs = [name for name, kind, _ in fields if kind != "input"]
    return f"Predict({', '.join(inputs)}) -> {', '.join(outputs)}"


def example_string(fields: Sequence[tuple[str, str, str]], demo: Mapping[str, Any]) -> str:
    """DSPy's ``create_example_string``: ``"{prefix} {value}"`` per field of the predictor."""
    return "\n".join(f"{prefix} {demo.get(name)}" for name, _, prefix in fields)


def task_demos(demo_sets: Sequence[Sequence[Any]], set_index: int, fields: Sequence[tuple[str, str, str]]) -> str:
    """Up to three augmented demos from set ``set_index``, then the sets after it, then those before
    (DSPy's ``gather_examples_from_sets``); ``"No task demos provided."`` for none or for set 0."""
    ordered = [demo_sets[set_index], *demo_sets[set_index + 1:], *demo_sets[:set_index]]
    strings: list[str] = []
    for demo_set in ordered:
        for demo in demo_set:
            fields_of = demo.toDict() if hasattr(demo, "toDict") else demo
            if "augmented" in fields_of:
                strings.append(example_string(fields, fields_of))
                if len(strings) >= DEMOS_IN_CONTEXT:
                    break
        if len(strings) >= DEMOS_IN_CONTEXT:
            break
    text = "\n\n".join(strings) + "\n\n"
    if not text.strip() or set_index == 0:
        return "No task demos provided."
    return text


# -- the proposals ------------------------------------------------------------------------------------
class Proposer:
    """One ``GroundedProposer`` run over a program (its ``rng`` is MIPROv2's, shared)."""

    def __init__(self, program: Program, trainset: Sequence[Any], prompt_lm: Any, rng: Any, *,
                 view_data_batch_size: int, program_aware: bool, data_aware: bool, tip_aware: bool,
                 fewshot_aware: bool, init_temperature: float):
        self.program = program
        self.prompt_lm = prompt_lm
        self.rng = rng
        self.program_aware = program_aware
        self.fewshot_aware = fewshot_aware
        self.tip_aware = tip_aware
        self.init_temperature = init_temperature
        self.code = program_code(program) if program_aware else None
        self.summary: str | None = None
        if data_aware:
            try:
                self.summary = dataset_summary(trainset, view_data_batch_size, prompt_lm)
            except Exception as error:  # noqa: BLE001 - DSPy's rule: run without the data summary
                LOGGER.info("Error getting data summary: %s. Running without data aware proposer.", error)

    def propose(self, demo_candidates: Mapping[int, list[list[Any]]] | None, n: int) -> dict[int, list[str]]:
        """``propose_instructions_for_program``: ``{predictor index: [instruction, ...]}``."""
        use_demos = self.fewshot_aware and bool(demo_candidates)
        sets = max(len(demo_candidates[0]), 1) if demo_candidates else n
        proposed: dict[int, list[str]] = {}
        for index, name in enumerate(self.program.predictor_names()):
            fields = self.program.fields(name)
            for set_index in range(sets)[:min(n, sets)]:
                tip = None
                if self.tip_aware:
                    tip = TIPS[self.rng.choice(list(TIPS))]
                proposed.setdefault(index, []).append(
                    self.one(name, fields, demo_candidates[index] if use_demos else None, set_index, tip))
        return proposed

    def one(self, name: str, fields: Sequence[tuple[str, str, str]], demo_sets: Sequence[Sequence[Any]] | None,
            set_index: int, tip: str | None) -> str:
        """``propose_instruction_for_predictor`` for predictor ``name`` and demo set ``set_index``."""
        lm = with_defaults(self.prompt_lm, rollout_id=self.rng.randint(0, 10**9), temperature=self.init_temperature)
        basic = self.program.signatures()[name]["instructions"]
        demos = task_demos(demo_sets, set_index, fields) if demo_sets is not None else "No task demos provided."
        inputs: dict[str, Any] = {"dataset_description": self.summary, "task_demos": demos,
                                  "basic_instruction": basic, "tip": tip}
        if self.program_aware:
            description, module, module_description = "Not available", "Not provided", "Not provided"
            try:
                description = strip_prefix(ask(named_signature("describe_program"),
                                               {"program_code": self.code, "program_example": demos},
                                               lm)["program_description"])
                module = module_code(fields)
                module_description = ask(named_signature("describe_module"),
                                         {"program_code": self.code, "program_description": description,
                                          "program_example": demos, "module": module}, lm)["module_description"]
            except Exception as error:  # noqa: BLE001 - DSPy's rule: propose without the rest
                LOGGER.info("Error getting program description: %s. Running without program aware proposer.", error)
            inputs.update(program_code=self.code, program_description=description, module=module,
                          module_description=module_description)
        signature = generate_signature(self.summary is not None, self.program_aware, bool(tip))
        wanted = {key: value for key, value in inputs.items()
                  if key in signature.input_fields}
        proposed = ask(signature, wanted, lm)["proposed_instruction"]
        return strip_prefix(strip_prefix(proposed))
