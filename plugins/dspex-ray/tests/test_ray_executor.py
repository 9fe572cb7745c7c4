"""The ray executor on a local Ray instance: results equal the threads executor's, in input order;
failures per item; credentials only in the workers' environment; bad input refused before any
work starts; a worker that dies has its items retried, none lost or duplicated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dspex_core as dspex
from dspex_core import registry
from dspex_core.errors import CapabilityError, ConfigError, InputError

from dspex_ray import RayExecutor, RayUnavailableError

# The metrics below live in this test module, which Ray's workers cannot import (it is not on
# their path): they travel by value, as functions defined in a script's __main__ do.
from ray import cloudpickle  # noqa: E402

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def questions(n, start=0):
    return [{"question": f"what is item{i}?"} for i in range(start, start + n)]


def devset(n):
    return [dspex.Example(question=f"what is item{i}?", answer=f"Offline answer about item{i}.")
            .with_inputs("question") for i in range(n)]


def mentions_the_item(example, prediction):
    return example.answer == prediction.answer


# -- registration ----------------------------------------------------------------------------

def test_dspex_executors_lists_ray_with_its_distribution():
    out = subprocess.run([sys.executable, "-m", "dspex_core", "executors", "--json"], capture_output=True,
                         text=True, check=True)
    rows = {row["name"]: row for row in json.loads(out.stdout)}
    assert rows["ray"]["distribution"] == "dspex-ray" and rows["ray"]["error"] is None
    assert {"threads", "asyncio"} <= set(rows)
    assert "ray" not in sys.modules or True  # the listing ran in its own process
    probe = subprocess.run([sys.executable, "-c", "import sys; from dspex_core import registry; "
                            "registry.executors(); print('ray' in sys.modules)"], capture_output=True, text=True,
                           check=True)
    assert probe.stdout.strip() == "False"  # loading the plugin imports no Ray


def test_executor_options_reach_the_executor_and_bad_ones_are_named():
    with dspex.context(executor="ray", executor_options={"workers": 2, "concurrency": 4}):
        made = registry.executor()
    assert isinstance(made, RayExecutor) and (made.workers, made.concurrency) == (2, 4)
    with pytest.raises(ConfigError, match="executor_options .*'adress'.* do not fit executor 'ray'"):
        registry.executor("ray", {"adress": "ray://x:1"})
    with pytest.raises(ConfigError, match="concurrency must be a positive integer"):
        registry.executor("ray", {"concurrency": 0})


# -- results equal the threads executor's ------------------------------------------------------

def test_map_equals_threads_in_input_order(ray_instance, lm):
    dspex.configure(lm=lm)
    program = dspex.ChainOfThought.create("question -> answer")
    items = questions(40)
    on_threads = dspex.map(program, items, executor="threads")
    on_ray = dspex.map(program, items, executor="ray")
    assert on_ray == on_threads
    assert [p.answer for p in on_ray] == [f"Offline answer about item{i}." for i in range(40)]


@given(st.lists(st.integers(0, 999), max_size=12))
def test_map_keeps_input_order_whatever_the_inputs(ray_instance, lm, numbers):
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer")
    items = [{"question": f"what is item{n}?"} for n in numbers]
    assert [p.answer for p in dspex.map(program, items, executor="ray")] == \
        [f"Offline answer about item{n}." for n in numbers]


def test_evaluate_equals_threads(ray_instance, lm):
    dspex.configure(lm=lm)
    program = dspex.ChainOfThought.create("question -> answer")
    dev = devset(30)
    dev[3] = dspex.Example(question="what is item3?", answer="x").with_inputs("question")
    evaluate = dspex.Evaluate.create(devset=dev, metric=mentions_the_item, num_threads=8)
    on_threads = evaluate(program=program)
    on_ray = dspex.execute(evaluate, {"program": program}, executor="ray")
    assert on_ray.score == on_threads.score == round(100 * 29 / 30, 2)
    assert [(e, p, s) for e, p, s in on_ray.results] == [(e, p, s) for e, p, s in on_threads.results]
    with dspex.context(executor="ray"):  # the configured executor, with no option on the call
        assert evaluate(program=program).results == on_threads.results


def test_a_program_with_learned_demos_runs_with_them(ray_instance, lm, server):
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer", demos=[{"question": "q?", "answer": "a demo answer"}])
    on_threads = dspex.map(program, questions(4), executor="threads")
    sent_here = [r["body"]["messages"] for r in server.chat_requests]
    server.reset()
    assert dspex.map(program, questions(4), executor="ray") == on_threads
    assert sorted(map(json.dumps, (r["body"]["messages"] for r in server.chat_requests))) == \
        sorted(map(json.dumps, sent_here))  # byte-identical prompts, demos included


def test_a_failed_item_is_its_exception_and_the_rest_complete(ray_instance, lm):
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer")
    items = [*questions(3), {"questoin": "misspelt"}, *questions(3, 3)]
    results = dspex.map(program, items, executor="ray", return_exceptions=True)
    assert isinstance(results[3], InputError) and "questoin" in str(results[3])
    assert [r.answer for i, r in enumerate(results) if i != 3] == \
        [f"Offline answer about item{i}." for i in range(6)]
    with pytest.raises(InputError, match="questoin"):
        dspex.map(program, items, executor="ray")


def test_compile_with_ray_evaluations_equals_threads(ray_instance, lm):
    dspex.configure(lm=lm)
    trainset = devset(6)

    def compiled(executor):
        optimizer = dspex.create("bootstrap_few_shot_with_random_search", metric=mentions_the_item,
                                 num_candidate_programs=2, max_bootstrapped_demos=2, num_threads=4)
        program = dspex.Predict.create("question -> answer")
        return dspex.compile(optimizer, program, trainset=trainset, executor=executor).describe()

    assert compiled("ray") == compiled("threads")


# -- what travels and what does not -----------------------------------------------------------

SECRET = "sk-ray-test-0123456789abcdef"


def test_the_api_key_reaches_workers_only_through_their_environment(ray_instance, server):
    from ray import cloudpickle

    from dspex_core.executors import SECRET_ENV_PREFIX, Work

    server.reset()
    dspex.configure(lm=dspex.LM("openai/local", api_base=server.url, api_key=SECRET, cache=False))
    program = dspex.Predict.create("question -> answer")
    shipped, env = Work(program).ship()
    assert SECRET.encode() not in cloudpickle.dumps(shipped)  # not in any call's arguments or the object store
    assert [json.loads(v) for k, v in env.items() if k.startswith(SECRET_ENV_PREFIX)] == [SECRET]

    def key_in_environment(example, prediction):
        return any(k.startswith(SECRET_ENV_PREFIX) and json.loads(v) == SECRET for k, v in os.environ.items())

    evaluate = dspex.Evaluate.create(devset=devset(4), metric=key_in_environment, executor="ray")
    assert evaluate(program=program).score == 100.0
    assert len(server.chat_requests) == 4 and all(r["auth"] for r in server.chat_requests)


class HoldsALock:
    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, example, prediction):
        with self.lock:
            return 1.0


def test_a_metric_that_cannot_travel_is_named_before_any_work(ray_instance, lm, server):
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer")
    evaluate = dspex.Evaluate.create(devset=devset(3), metric=HoldsALock(), executor="ray")
    with pytest.raises(InputError, match=r"the metric 'HoldsALock' cannot be sent to Ray workers: .*lock"):
        evaluate(program=program)
    assert server.chat_requests == []


def test_an_item_that_cannot_travel_is_named_before_any_work(ray_instance, lm, server):
    dspex.configure(lm=lm)
    program = dspex.Predict.create("question -> answer")
    items = [*questions(2), {"question": threading.Lock()}]
    with pytest.raises(InputError, match=r"items\[2\] cannot be sent to Ray workers"):
        dspex.map(program, items, executor="ray")
    assert server.chat_requests == []


def test_a_plain_function_program_or_map_is_refused_naming_why(ray_instance, lm):
    dspex.configure(lm=lm)
    evaluate = dspex.Evaluate.create(devset=devset(2), metric=mentions_the_item, executor="ray")
    with pytest.raises(CapabilityError, match="the program is a function, not a module"):
        evaluate(program=lambda question: dspex.Prediction(answer=question))
    with pytest.raises(CapabilityError, match="does not run arbitrary Python functions"):
        registry.executor("ray").map(str, [1, 2])


def test_a_custom_lm_object_travels_as_the_users_own_object(ray_instance):
    dspex.configure(lm=dspex.OfflineLM())
    program = dspex.Predict.create("question -> answer")
    assert dspex.map(program, questions(5), executor="ray") == dspex.map(program, questions(5))


def test_progress_on_the_terminal(ray_instance, lm, capsys):
    dspex.configure(lm=lm, executor="ray", executor_options={"progress": True})
    dspex.map(dspex.Predict.create("question -> answer"), questions(5))
    assert "ray: 5/5 done" in capsys.readouterr().err


# -- a worker that dies -----------------------------------------------------------------------

def test_a_killed_worker_has_its_items_retried_none_lost_or_duplicated(ray_instance, lm, server, tmp_path):
    dspex.configure(lm=lm)
    program = dspex.ChainOfThought.create("question -> answer")
    dev = devset(24)
    reference = dspex.Evaluate.create(devset=dev, metric=mentions_the_item)(program=program)
    marker = str(tmp_path / "killed")

    def dies_once_on_item_7(example, prediction):
        if example.question == "what is item7?" and not os.path.exists(marker):
            with open(marker, "w") as handle:
                handle.write(str(os.getpid()))
            os._exit(1)  # the worker process dies mid-run, as a crashed or preempted node would
        return mentions_the_item(example, prediction)

    server.reset()
    evaluate = dspex.Evaluate.create(devset=dev, metric=dies_once_on_item_7, executor="ray", num_threads=8)
    result = evaluate(program=program)
    assert os.path.exists(marker)  # a worker did die
    assert result.score == reference.score
    assert result.results == reference.results  # every example once, in devset order
    assert len(server.chat_requests) > len(dev)  # the dead worker's items ran again


# -- a Ray that cannot be reached ---------------------------------------------------------------

def test_an_unreachable_cluster_is_a_clear_error_not_a_hang():
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = ("import dspex_core as dspex\n"
            "dspex.configure(lm=dspex.OfflineLM(), executor='ray', executor_options={'address': "
            f"'ray://127.0.0.1:{port}', 'connect_timeout': 5}})\n"
            "dspex.map(dspex.Predict.create('question -> answer'), [{'question': 'q'}])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert f"RayUnavailableError: cannot reach the Ray cluster at 'ray://127.0.0.1:{port}'" in out.stderr
    assert issubclass(RayUnavailableError, ConnectionError)
