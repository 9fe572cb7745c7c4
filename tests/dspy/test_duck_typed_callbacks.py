"""A dspex callback is duck-typed on the dspy backend too: dspy calls every ``BaseCallback``
handler by name, so an object with only some of them is handed to dspy with the rest as
``BaseCallback``'s no-ops, and dspy logs no error for the missing ones."""

from __future__ import annotations

import logging

import dspex_core as dspex
from dspex_core.testing import RecordingLM

REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"


class ModulesOnly:
    def __init__(self):
        self.events = []

    def on_module_start(self, call_id, instance, inputs):
        self.events.append(("start", type(instance).__name__))

    def on_module_end(self, call_id, outputs, exception=None):
        self.events.append(("end", outputs.answer))


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_a_callback_with_some_handlers_hears_them_and_dspy_warns_of_none():
    listener, collect = ModulesOnly(), Collect()
    ref = dspex.Predict.create("question -> answer", implementation="dspy", lm=RecordingLM([REPLY, REPLY]))
    dspy_logger = logging.getLogger("dspy.utils.callback")  # dspy's own logger (it does not propagate)
    dspy_logger.addHandler(collect)
    try:
        with dspex.context(callbacks=[listener]):
            assert ref(question="q").answer == "Paris"
            assert ref(question="r").answer == "Paris"
    finally:
        dspy_logger.removeHandler(collect)
    assert listener.events == [("start", "Predict"), ("end", "Paris")] * 2
    assert collect.messages == []
