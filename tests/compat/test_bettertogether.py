"""The layer's BetterTogether: strategies of prompt optimizers run, scored and kept as in DSPy;
the weight step (BootstrapFinetune) is refused before any step runs."""

import pytest

import dspy
import dspy.teleprompt.bettertogether as bettertogether
from dspy.teleprompt import BetterTogether, BootstrapFewShotWithRandomSearch, Teleprompter
from dspy.utils.dummies import DummyLM


class QA(dspy.Module):
    def __init__(self):
        super().__init__()
        self.answer = dspy.Predict("question -> answer")

    def forward(self, question):
        return self.answer(question=question)


class HostedLM(DummyLM):
    """A DummyLM standing for a model the program hosts: launch and kill are recorded."""

    def __init__(self, answer, events):
        super().__init__({"?": {"answer": answer}})
        self.model, self.events = f"dummy-{answer}", events

    def launch(self):
        self.events.append(("launch", self.model))

    def kill(self):
        self.events.append(("kill", self.model))


class SwapLM(Teleprompter):
    """A step that gives every predictor another LM (as a weight optimizer's fine-tuned model would)."""

    def __init__(self, lm):
        self.lm = lm

    def compile(self, student, *, trainset):
        student.set_lm(self.lm)
        return student


def exact(example, prediction, trace=None):
    return example.answer == prediction.answer


DATA = [dspy.Example(question=f"q{i}?", answer="right").with_inputs("question") for i in range(3)]


def test_each_step_is_scored_and_the_best_candidate_comes_back_with_all_of_them():
    events = []
    wrong, right = HostedLM("wrong", events), HostedLM("right", events)
    student = QA()
    student.set_lm(wrong)
    optimizer = BetterTogether(metric=exact, fix=SwapLM(right), spoil=SwapLM(wrong))
    best = optimizer.compile(student, trainset=DATA, valset=DATA, strategy="fix -> spoil", seed=0)
    assert [(c["strategy"], c["score"]) for c in best.candidate_programs] == [
        ("fix", 100.0), ("", 0.0), ("fix -> spoil", 0.0)]
    assert best is best.candidate_programs[0]["program"] and best.flag_compilation_error_occurred is False
    assert best(question="q0?").answer == "right"
    # launched first, relaunched when a step changed the model, killed at the end
    assert events == [("launch", "dummy-wrong"), ("launch", "dummy-right"), ("launch", "dummy-wrong"),
                      ("kill", "dummy-wrong")]


def test_without_a_valset_the_latest_program_comes_back_and_a_failing_step_stops_the_run():
    class Failing(Teleprompter):
        def compile(self, student, *, trainset):
            raise RuntimeError("step failed")

    student = QA()
    student.set_lm(DummyLM([{"answer": "a"}]))
    ran = []

    class Recording(Teleprompter):
        def compile(self, student, *, trainset):
            ran.append(len(trainset))
            return student

    optimizer = BetterTogether(metric=exact, ok=Recording(), bad=Failing())
    best = optimizer.compile(student, trainset=DATA, valset_ratio=0, strategy="ok -> bad -> ok")
    assert ran == [3]
    assert [c["strategy"] for c in best.candidate_programs] == ["", "ok"]
    assert best.candidate_programs[-1]["program"] is best and best.flag_compilation_error_occurred is True


def test_the_default_weight_step_is_refused_before_any_work():
    lm = DummyLM([{"answer": "a"}])
    student = QA()
    student.set_lm(lm)
    optimizer = BetterTogether(metric=exact)
    assert isinstance(optimizer.optimizers["p"], BootstrapFewShotWithRandomSearch)
    with pytest.raises(NotImplementedError, match="BootstrapFinetune"):
        optimizer.compile(student, trainset=DATA)
    assert lm.history == []
    with pytest.raises(NotImplementedError, match="BootstrapFinetune"):
        from dspy.teleprompt.bootstrap_finetune import BootstrapFinetune  # noqa: F401


def test_bad_arguments_get_dspy_errors():
    student = QA()
    optimizer = BetterTogether(metric=exact, p=SwapLM(None))
    with pytest.raises(ValueError, match="must have a language model set on every predictor"):
        optimizer.compile(student, trainset=DATA, strategy="p")
    student.set_lm(DummyLM([{"answer": "a"}]))
    with pytest.raises(ValueError, match=r"invalid optimizer keys: \['q'\]"):
        optimizer.compile(student, trainset=DATA, strategy="p -> q")
    with pytest.raises(ValueError, match="strategy cannot be empty"):
        optimizer.compile(student, trainset=DATA, strategy=" ")
    with pytest.raises(ValueError, match=r"Invalid compile arguments for optimizer 'p': \['seed'\]"):
        optimizer.compile(student, trainset=DATA, strategy="p", optimizer_compile_args={"p": {"seed": 1}})
    with pytest.raises(TypeError, match="Optimizer 'p' must be a Teleprompter"):
        BetterTogether(metric=exact, p=object())


def test_a_run_reads_its_helpers_where_dspy_defines_them(monkeypatch):
    scored = []

    def fake_eval(batch_size, valset, program, evaluate, rng=None):
        scored.append(batch_size)
        return dspy.Prediction(score=50.0)

    monkeypatch.setattr(bettertogether, "eval_candidate_program", fake_eval)
    student = QA()
    student.set_lm(DummyLM([{"answer": "a"}]))
    best = BetterTogether(metric=exact, p=SwapLM(student.answer.lm)).compile(
        student, trainset=DATA, valset=DATA[:2], strategy="p")
    assert scored == [2, 2] and [c["score"] for c in best.candidate_programs] == [50.0, 50.0]
