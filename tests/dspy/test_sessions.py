"""The per-session module store, freed references, the default session, threads, context isolation."""

from __future__ import annotations

import threading

import pytest
from dspy_helpers import chat, dspy_ref

import dspex_core as dspex
from dspex_core.errors import SessionError
from dspex_core.testing import RecordingLM
from dspex_dspy import store


def test_modules_outside_a_session_belong_to_the_default_session():
    ref = dspy_ref("predict", "question -> answer")
    assert ref.session_id == "default"
    assert store.session_of(ref.handle) == "default"
    assert ref.handle in store.modules_in("default")


def test_ending_a_session_frees_its_modules_and_a_freed_ref_is_a_clear_error():
    lm = RecordingLM(chat(answer="x"))
    with dspex.session() as session:
        ref = dspy_ref("predict", "question -> answer", lm=lm)
        assert ref.session_id == session.id
        assert ref(question="q").answer == "x"
        assert store.modules_in(session.id) == [ref.handle]
    assert store.modules_in(session.id) == []
    with pytest.raises(SessionError, match=rf"{ref.handle}.*freed.*{session.id}"):
        ref(question="q")
    with pytest.raises(SessionError):
        ref.describe()


def test_a_session_ending_frees_only_its_own_modules():
    outside = dspy_ref("predict", "question -> answer", lm=RecordingLM(chat(answer="x")))
    with dspex.session():
        dspy_ref("predict", "question -> answer")
    assert outside(question="q").answer == "x"


def test_a_session_ended_by_an_exception_is_freed_too():
    with pytest.raises(RuntimeError):
        with dspex.session() as session:
            dspy_ref("predict", "question -> answer")
            raise RuntimeError("boom")
    assert store.modules_in(session.id) == []


def test_sessions_in_threads_are_independent():
    lm = RecordingLM(chat(answer="x"))
    handles, errors = {}, []

    def worker(name):
        try:
            with dspex.session() as session:
                ref = dspy_ref("predict", "question -> answer", lm=lm)
                handles[name] = (session.id, ref.handle, ref(question=name).answer)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({h[1] for h in handles.values()}) == 6 and len({h[0] for h in handles.values()}) == 6
    assert all(store.modules_in(sid) == [] for sid, _, _ in handles.values())


def test_a_session_handed_to_a_worker_thread_keeps_its_modules_alive():
    lm = RecordingLM(chat(answer="x"))
    with dspex.session() as session:
        box = {}

        def worker():
            with session.activate():
                box["ref"] = dspy_ref("predict", "question -> answer", lm=lm)

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert box["ref"].session_id == session.id
        assert box["ref"](question="q").answer == "x"
    with pytest.raises(SessionError):
        box["ref"](question="q")


def test_unknown_handle_is_a_session_error():
    with pytest.raises(SessionError, match="no dspy module"):
        store.get("dspy-predict-999999999")


def test_two_threads_with_different_lms_via_dspex_context_never_mix():
    ref = dspy_ref("predict", "question -> answer")
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def worker(name):
        lm = RecordingLM(chat(answer=name))
        try:
            with dspex.context(lm=lm):
                barrier.wait()
                answers = [ref(question="q").answer for _ in range(20)]
            results[name] = (answers, lm.call_count)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("alpha", "beta")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results["alpha"] == (["alpha"] * 20, 20)
    assert results["beta"] == (["beta"] * 20, 20)


def test_dspy_global_settings_do_not_leak_into_dspex_calls():
    import dspy

    stray = RecordingLM(chat(answer="global dspy"))
    mine = RecordingLM(chat(answer="dspex"))
    ref = dspy_ref("predict", "question -> answer")
    with dspy.context(lm=dspy.LM("openai/never-called"), adapter=dspy.JSONAdapter()):
        with dspex.context(lm=mine):
            assert ref(question="q").answer == "dspex"
    assert stray.call_count == 0
    assert "[[ ## answer ## ]]" in mine.calls[0].messages[0]["content"]  # ChatAdapter, not the stray JSONAdapter
    assert dspy.settings.lm is None


def test_no_lm_anywhere_is_an_input_error_naming_configure():
    ref = dspy_ref("predict", "question -> answer")
    with pytest.raises(dspex.InputError, match=r"dspex.configure\(lm="):
        ref(question="q")
