"""Native optimizers against dspy in one run: wall time of a whole compile.

Run in an environment with dspy and the dspex packages installed (the tox ``parity`` env)::

    tox --workdir /tmp/tox-bench -e parity --notest
    /tmp/tox-bench/parity/bin/python benchmarks/bench_optimizers.py

The LM is an in-process object that answers at once (a ChainOfThought reply whose answer is
right for most questions), so what is measured is everything but the LM: a BootstrapFewShot
compile of a ChainOfThought on 8 training examples (max_rounds=2, so failed examples get a
second round at temperature 1.0), and a BootstrapFewShotWithRandomSearch with 4 candidate
programs beyond its three baselines, scored on an 8-example valset with one thread (dspy's
Evaluate and native's evaluate alike), a COPRO with breadth 4 and depth 2 (its proposals
answered n at a time, each candidate scored on the trainset with one thread), and a MIPROv2
with ``auto="light"`` (six demo sets, three grounded instruction proposals, ten optuna trials
on the valset with one thread). Both backends
compile through ``dspex.compile``; the contenders alternate and each keeps its best of
``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import time
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)


#: The one output field of MIPROv2's dataset summarizer and grounded proposer requests
PROSE = ("observations", "summary", "program_description", "module_description")


def reply(messages, **settings):
    system = messages[0]["content"]
    if "`proposed_prefix_for_output_field`" in system:  # COPRO's proposals, n at a time
        return [f"[[ ## proposed_instruction ## ]]\nAnswer carefully ({i}).\n\n"
                f"[[ ## proposed_prefix_for_output_field ## ]]\nAnswer:\n\n[[ ## completed ## ]]"
                for i in range(settings.get("n") or 1)]
    if "`proposed_instruction`" in system:  # MIPROv2's proposals, one per rollout
        return [f"[[ ## proposed_instruction ## ]]\nAnswer in capitals ({settings['rollout_id'] % 3}).\n\n"
                f"[[ ## completed ## ]]"]
    for name in PROSE:
        if f"`{name}`" in system.split("Your output fields are:")[-1]:
            return [f"[[ ## {name} ## ]]\nQuestions numbered in words.\n\n[[ ## completed ## ]]"]
    user = messages[-1]["content"]
    question = user.split("[[ ## question ## ]]\n")[-1].split("\n")[0]
    answer = question.upper() if len(question) % 5 else "unsure"
    return [f"[[ ## reasoning ## ]]\nThinking about {question}.\n\n[[ ## answer ## ]]\n{answer}\n\n"
            f"[[ ## completed ## ]]"]


class InstantLM:
    model = "bench/instant"

    def __call__(self, messages, **settings):
        return reply(messages, **settings)


def metric(example, prediction, trace=None):
    return example.answer == prediction.answer


def compile_once(backend: str, optimizer: str, options: dict, trainset: list, valset: list | None) -> float:
    import dspex_core as dspex

    lm = InstantLM()
    program = dspex.ChainOfThought.create("question -> answer", implementation=backend, lm=lm)
    opt = dspex.create(optimizer, implementation=backend, metric=metric, **options)
    sets = {"trainset": trainset, **({"valset": valset} if valset is not None else {})}
    if optimizer == "copro":
        sets["eval_kwargs"] = {"num_threads": 1}
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        dspex.compile(opt, program, **sets)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import platform

    import dspex_core as dspex
    import dspy

    trainset = [dspex.Example(question=f"question number {i}", answer=f"QUESTION NUMBER {i}").with_inputs("question")
                for i in range(8)]
    valset = [dspex.Example(question=f"held out {i}", answer=f"HELD OUT {i}").with_inputs("question")
              for i in range(8)]
    cases = [("BootstrapFewShot, 8 train examples", "bootstrap_few_shot",
              {"max_bootstrapped_demos": 4, "max_labeled_demos": 8, "max_rounds": 2}, trainset, None),
             ("BootstrapFewShotWithRandomSearch, 4 candidates (+3 baselines), 8 val",
              "bootstrap_few_shot_with_random_search",
              {"max_bootstrapped_demos": 4, "max_labeled_demos": 8, "num_candidate_programs": 4, "num_threads": 1},
              trainset, valset),
             ("COPRO, breadth 4, depth 2, 8 train examples", "copro",
              {"breadth": 4, "depth": 2, "init_temperature": 1.4}, trainset, None),
             ("MIPROv2 light (10 trials), 8 train, 8 val", "mipro_v2",
              {"auto": "light", "num_threads": 1}, trainset, valset)]
    print(f"Python {platform.python_version()} on {platform.machine()}, dspy {dspy.__version__}\n")
    print("| compile | native | dspy | dspy / native | target |")
    print("|---|---|---|---|---|")
    for label, optimizer, options, train, val in cases:
        best = {"native": float("inf"), "dspy": float("inf")}
        for _ in range(args.repeats):
            for backend in best:
                best[backend] = min(best[backend], compile_once(backend, optimizer, options, train, val))
        print(f"| {label} | {best['native'] * 1e3:.1f} ms | {best['dspy'] * 1e3:.1f} ms | "
              f"{best['dspy'] / best['native']:.0f}x | >= 10x |")


if __name__ == "__main__":
    main()
