"""The core's rule for the LM settings a module is given (dspex_core.backend.settings_rules): a
value of the wrong kind is an InputError naming the setting, on every backend, before any call."""

from __future__ import annotations

import pytest

import dspex_core as dspex
from dspex_core.backend import settings_rules


@pytest.mark.parametrize("settings, message", [
    ({"temperature": "hot"}, "predict: temperature must be a number, got 'hot'"),
    ({"temperature": True}, "predict: temperature must be a number, got True"),
    ({"top_p": [1]}, "predict: top_p must be a number, got [1]"),
    ({"n": 0}, "predict: n must be a positive integer, got 0"),
    ({"n": 2.0}, "predict: n must be a positive integer, got 2.0"),
    ({"n": True}, "predict: n must be a positive integer, got True"),
    ({"num_generations": -1}, "predict: num_generations must be a positive integer, got -1"),
    ({"max_tokens": "100"}, "predict: max_tokens must be a positive integer, got '100'"),
    ({"max_tokens": 0}, "predict: max_tokens must be a positive integer, got 0"),
    ({"max_completion_tokens": 0}, "predict: max_completion_tokens must be a positive integer, got 0"),
    ({"seed": 1.5}, "predict: seed must be an integer, got 1.5"),
    ([("temperature", 1)], "predict: config must be a dict of LM settings, got list"),
    ("temperature=1", "predict: config must be a dict of LM settings, got str"),
])
def test_a_setting_of_the_wrong_kind_is_an_input_error_naming_it(settings, message):
    with pytest.raises(dspex.InputError) as info:
        settings_rules.check_settings("predict", settings)
    assert str(info.value) == message


@pytest.mark.parametrize("settings", [
    {}, {"temperature": 0}, {"temperature": 1.7}, {"temperature": None}, {"n": 3}, {"max_tokens": 1},
    {"seed": -4}, {"stop": ["\n"], "response_format": {"type": "json_object"}, "anything": object()},
])
def test_settings_of_the_right_kind_pass_as_they_are(settings):
    assert settings_rules.check_settings("predict", settings) is settings


@pytest.mark.parametrize("settings, message", [
    ({"temperature": "hot"}, "LM 'openai/x': temperature must be a number, got 'hot'"),
    ({"n": 0}, "LM 'openai/x': n must be a positive integer, got 0"),
])
def test_an_lm_description_is_held_to_the_same_rule(settings, message):
    """``dspex.LM(..., temperature="hot")`` once failed inside DSPy's n/temperature rule at the
    first call (a TypeError, on both backends)."""
    with pytest.raises(dspex.InputError) as info:
        dspex.LM("openai/x", **settings)
    assert str(info.value) == message
    assert dspex.LM("openai/x", temperature=0.2, n=2).settings == {"temperature": 0.2, "n": 2}


@pytest.mark.parametrize("engine", ["fast", "LiteLLM", "", 1])
def test_an_unknown_engine_is_a_config_error_listing_the_valid_ones(engine):
    with pytest.raises(dspex.ConfigError) as info:
        dspex.LM("openai/gpt-4o-mini", engine=engine)
    assert str(info.value) == (f"LM 'openai/gpt-4o-mini': engine must be one of 'auto', 'lm15', 'litellm', "
                               f"got {engine!r}")


@pytest.mark.parametrize("engine", [None, "auto", "lm15", "litellm"])
def test_the_engines_dspy_takes_are_accepted(engine):
    assert dspex.LM("openai/gpt-4o-mini", engine=engine).settings["engine"] == engine
