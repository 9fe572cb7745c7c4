"""Unmodified DSPy programs (tests/compat/programs) run on the layer, served by native.

The same programs are compared with real dspy, request by request, in
tests/parity/test_compat_programs.py; here the layer runs them alone, without dspy installed.
"""

import json


def test_a_multi_predictor_module_with_class_signatures(run, tmp_path):
    done = run("pipeline", str(tmp_path / "program.json"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["result"] == {"answer": "42", "confidence": 0.9, "tags": ["math", "trivia"]}
    assert out["predictors"] == ["draft.predict", "final", "tags"]
    assert len(out["messages"]) == 3
    assert "Answer the question briefly, using the draft." in out["messages"][1][0]["content"]
    state = json.loads((tmp_path / "program.json").read_text())
    assert list(state) == ["draft.predict", "final", "tags", "metadata"]
    assert state["metadata"]["dependency_versions"]["dspy"] == "3.4.1"


def test_demos_json_adapter_and_loaded_state(run):
    done = run("demos_and_state")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["first"] == {"reasoning": "Upbeat words.", "explanation": "The text praises it."}
    assert out["follow"] == {"label": "negative"}  # DummyLM(follow_examples=True) answered from the loaded demo
    assert out["loaded_demos"] == [{"text": "great movie", "label": "positive"},
                                   {"text": "awful plot", "label": "negative"}]
    assert out["reset_demos"] == [0, 0]


def test_async_calls_and_per_call_lm(run):
    done = run("async_calls")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["results"] == ["short", "shorter", "other lm"]
    assert out["kwargs"] == [{"temperature": 0.5}]


def test_retrieve_chain_of_thought_and_predict_on_an_in_process_lm(run):
    done = run("rag")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["result"] == {"context": ["Paris is the capital of France.", "Berlin is the capital of Germany."],
                             "answer": "Paris", "verdict": True}
    assert out["predictors"] == ["answer.predict", "check"]
    assert out["parameters"] == ["retrieve", "answer.predict", "check"]  # Retrieve is a parameter, not a predictor


def test_labeled_and_bootstrap_few_shot(run):
    done = run("optimize")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Bootstrapped 2 full traces after 3 examples" in done.stdout
    assert [len(demos) for demos in out["labeled"]] == [3]
    bootstrapped = [d for d in out["demos"][0] if d.get("augmented")]
    assert [d["answer"] for d in bootstrapped] == ["2", "4"]  # the metric refused example 0's "wrong"
    assert out["compiled"] is True
    assert out["result"] == {"reasoning": "Add 3 to itself.", "answer": "wrong"}  # the next scripted reply


def test_evaluate_parallel_batch_and_callback_events(run):
    done = run("evaluate_and_parallel")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])  # tqdm's bars come first where tqdm is installed
    assert out["score"] == 66.67
    assert out["parallel"] == out["batch"] == ["2", "4", "7"]
    assert out["majority"] == {"answer": "Paris"}
    assert [e[0] for e in out["events"]] == ["evaluate_start", "module_start", "module_start", "lm_start", "parse_end",
                                             "module_end", "module_end", "evaluate_end"]
    assert out["events"][-1] == ["evaluate_end", 100.0]


def test_best_of_n_refine_and_multi_chain_comparison(run):
    done = run("refine_and_best_of_n")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["best"], out["refined"], out["compared"]) == ("Brussels", "Brussels", ["compared them", "blue"])
    assert out["rollout_ids"] == [0, 1, 0, None, 1, None]  # BestOfN, Refine, its advice, MultiChainComparison
    assert "Answer with one word." in out["messages"][4][-1]["content"]


def test_react_with_tools(run):
    done = run("react_tools")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["answer"] == 68000000
    assert out["tools"] == [["lookup", {"kwargs": {"city": "Paris"}}], ["population", {"kwargs": {"country": "France"}}],
                            ["finish", {"kwargs": {}}]]
    assert out["trajectory"]["observation_1"] == 68000000
    assert out["predictors"] == ["react", "extract.predict"]
    assert "(2) population, whose description is <desc>The population of a country in a year.</desc>." in \
        out["messages"][0][0]["content"]


def test_rlm_steps_sub_lm_tool_submit_and_extract(run, tmp_path):
    done = run("rlm_loop", str(tmp_path / "rlm.json"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    answer, count, final_reasoning, trajectory = out["first"]
    assert (answer, count, final_reasoning) == ("red", 3, "Done.")
    outputs = [step["output"] for step in trajectory]
    assert outputs[:3] == ["3\n", "[Error] Expected Python code but got ```bash fence. Write Python code, not bash.",
                           "[[ ## response ## ]]\nfox red\n"]
    assert outputs[3].startswith("[Type Error] count: expected int, got str: ")
    assert outputs[4] == "FINAL: {'answer': 'red', 'count': 3}"
    assert out["second"][:3] == ["extracted", 7, "Extract forced final output"]
    assert out["predictors"] == ["generate_action", "extract"]
    assert out["sub_messages"] == [None]  # llm_query sends the prompt as it is: lm(prompt)
    action = out["messages"][0][0]["content"]
    assert "Sub-agents (dspy)" not in action  # the sandbox dspy facade is not built
    assert "- `lookup(key: string)` - Look up a colour by fruit name." in action
    state = json.loads((tmp_path / "rlm.json").read_text())
    assert list(state) == ["generate_action", "extract", "metadata"]


def test_rlm_sub_agents_built_in_the_repl_run_on_the_host(run):
    done = run("rlm_subagents")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    word, trajectory = out["result"]
    assert word == "4"
    assert [step["output"] for step in trajectory] == ["4", "6", "FINAL: {'word': '4'}"]
    assert "Sub-agents (dspy):" in out["messages"][0][0]["content"]
    assert len(out["sub_messages"]) == 2  # the Predict's and the ChainOfThought's calls, on the sub-LM


def test_bootstrap_few_shot_with_random_search(run):
    done = run("random_search")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Will attempt to bootstrap 2 candidate sets." in done.stdout
    assert [seed for seed, _, _ in out["candidates"]] == [-3, -2, -1, 0, 1]  # all 80%: sorted stably, seed order
    assert all(score == 80.0 for _, score, _ in out["candidates"])
    assert out["demos"] == [[]]  # the first best (the student itself, seed -3) is kept on ties


def test_bettertogether_runs_prompt_steps_and_keeps_the_best_program(run):
    done = run("bettertogether")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # the demos taught two of the four valset capitals; on ties the earlier program wins
    assert out["candidates"] == [["p", 50.0], ["p -> p", 50.0], ["", 0.0]]
    assert out["best_is_first"] is True and out["failed"] is False
    assert out["demos"] == [[{"country": "Peru", "capital": "Lima"}, {"country": "Italy", "capital": "Rome"}]]
    assert out["events"] == ["launch dummy", "kill dummy"]


def test_copro_proposes_scores_and_keeps_the_best_instruction(run):
    done = run("copro")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    # breadth 3: two proposals plus the current instruction, then three more from the attempts
    assert out["total_calls"] == 6
    assert len(out["prompt_messages"]) == 2
    assert out["prompt_kwargs"][0] == {"n": 2, "temperature": 1.4}
    assert all(score == 66.67 for _, _, score, _ in out["candidates"])
    assert out["results_best"][0]["depth"] == [0, 1]


def test_knn_few_shot_with_an_embedder_made_from_a_function(run):
    done = run("knn")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert [e["answer"] for e in out["nearest"]] == ["Paris", "Madrid"]
    assert out["result"] == {"answer": "Rome"}
    assert out["is_ndarray"] is True
    # max_bootstrapped_demos=1: one teacher call on the nearest example, then the answer with the demos
    assert len(out["messages"]) == 2 and "capital of France" in out["messages"][-1][1]["content"]


def test_embeddings_retrieves_for_a_rag_module_saves_and_loads(run):
    done = run("embeddings")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["first"] == {"reasoning": "It says so.", "response": "Paris"}
    assert "Paris is the capital of France." in out["messages"][0][-1]["content"]
    assert out["scored"]["passages"][0] == "The Nile is the longest river."
    assert out["scored"]["keys"] == ["indices", "passages", "scores"] and out["scored"]["indices"][0] == 1
    assert out["many"][:4] == [[0, 2], [1, 4], [2, 4], [3, 0]] and out["many"][4:8] == out["many"][:4]
    assert out["reloaded"] == [["Everest is the tallest mountain.", "The Amazon river carries the most water."], [2, 4],
                               ["indices", "passages"]]
    assert out["saved"]["k"] == 2 and out["saved"]["has_faiss_index"] is False and len(out["saved"]["corpus"]) == 5
    assert out["faiss"].startswith("Please `pip install faiss-cpu`")


def test_a_hosted_embedding_model_is_not_built():
    import pytest

    import dspex_core
    import dspy

    with pytest.raises(dspex_core.CapabilityError, match="hosted embedding models are not built"):
        dspy.Embedder("openai/text-embedding-3-small")


def test_streamify_yields_each_listened_field_then_the_prediction(run):
    done = run("streaming")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["fields"] == ["reasoning", "answer"]
    assert out["joined"] == out["final"]  # a field's chunks, joined, are the text the prediction parsed
    assert out["predict_names"] == ["explain.predict"]
    assert out["last_chunks"] == ["reasoning", "answer"]
    assert out["sync_kinds"] == ["Prediction", "StreamResponse"] and out["sync_last"] == "Prediction"


def test_a_whole_program_saved_with_cloudpickle_loads_and_runs(run):
    done = run("save_program")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["files"] == ["metadata.json", "program.pkl"]
    assert out["result"] == {"summary": "Cats nap.", "title": "Napping Cats"}
    assert out["predictors"] == ["draft.predict", "title"]
    assert out["demos"] == [{"text": "a long story", "reasoning": "short", "summary": "a story"}]


def test_loading_a_program_needs_allow_pickle(tmp_path):
    import pytest

    import dspy

    with pytest.raises(ValueError, match="Loading with pickle is not allowed"):
        dspy.load(str(tmp_path))


def test_lm_failures_are_caught_by_dspys_classes(run):
    done = run("lm_errors")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    expected = {401: "LMAuthError", 402: "LMBillingError", 403: "LMAuthError", 404: "LMInvalidRequestError",
                408: "LMTimeoutError", 429: "LMRateLimitError", 500: "LMServerError", 503: "LMServerError",
                504: "LMTimeoutError"}
    for status, name in expected.items():
        for how in ("predict", "direct"):
            got = out[f"{status} {how}"]
            assert (got["class"], got["status"], got["requests"]) == (name, status, 1), (status, how, got)
            assert {"DSPyError", "LMError"} <= set(got["is"])
    assert out["429 direct"]["retryable"] is True and out["400 direct"]["retryable"] is False
    assert out["context window, code context_length_exceeded"]["class"] == "ContextWindowExceededError"
    assert out["context window, code None"]["class"] == "LMInvalidRequestError"
    assert out["unreachable direct"]["class"] == out["unreachable predict"]["class"] == "LMTransportError"
    assert out["unparseable"] == {"class": "AdapterParseError", "code": "adapter_parse_error", "adapter": "JSONAdapter",
                                  "is": ["DSPyError", "AdapterParseError"]}
