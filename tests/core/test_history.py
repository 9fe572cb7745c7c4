"""The process's LM-call history (``dspex.inspect_history``): bounded as DSPy's, never keeping
credentials, printed with colors only on a terminal or when asked. The printed text is checked
against real dspy's in tests/parity/test_inspect_history_parity.py."""

from __future__ import annotations

import contextlib
import io

import pytest

import dspex_core as dspex
from dspex_core import _history
from dspex_core.backend import record_history


@pytest.fixture(autouse=True)
def empty_history():
    _history.clear_history()
    yield
    _history.clear_history()


def printed(n: int = 1, **kwargs) -> str:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        dspex.inspect_history(n, **kwargs)
    return out.getvalue()


def test_the_history_keeps_dspys_bound_dropping_the_oldest():
    for index in range(_history.MAX_HISTORY_SIZE + 5):
        record_history([{"role": "user", "content": str(index)}], [str(index)])
    kept = _history.history()
    assert len(kept) == _history.MAX_HISTORY_SIZE == 10_000
    assert kept[0]["outputs"] == ["5"] and kept[-1]["outputs"] == [str(_history.MAX_HISTORY_SIZE + 4)]


def test_settings_that_carry_credentials_are_never_kept():
    record_history([{"role": "user", "content": "hi"}], ["yo"], model="openai/x",
                   settings={"temperature": 0.1, "api_key": "sk-secret-1", "api_base": "http://u:p@h",
                             "headers": {"Authorization": "Bearer sk-secret-2"}, "extra_headers": {"k": "v"}})
    (entry,) = _history.history()
    assert entry["kwargs"] == {"temperature": 0.1} and "sk-secret" not in repr(entry)


def test_printed_as_dspy_prints_without_colors_off_a_terminal():
    record_history([{"role": "system", "content": "  Be brief. "}, {"role": "user", "content": "2+2?"}],
                   ["  four  ", "4"], timestamp="2026-01-02T03:04:05.000006")
    text = printed(1)
    assert text == ("\n\n\n\n[2026-01-02T03:04:05.000006]\n\nSystem message:\n\nBe brief.\n\n\nUser message:\n\n"
                    "2+2?\n\n\nResponse:\n\nfour\n\n \t (and 1 other completions)\n\n\n\n\n")
    colored = printed(1, colors=True)
    assert "\x1b[34m[2026-01-02T03:04:05.000006]\x1b[0m" in colored and "\x1b[32mfour\x1b[0m" in colored
    buffer = io.StringIO()
    dspex.inspect_history(1, file=buffer)
    assert buffer.getvalue() == text


def test_n_larger_than_the_history_prints_what_there_is():
    assert printed(3) == "\n\n\n\n"
    record_history([{"role": "user", "content": "a"}], ["b"])
    assert printed(3).count("User message:") == 1
