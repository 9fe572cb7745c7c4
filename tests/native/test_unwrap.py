"""``ref.unwrap()`` on native modules: native runs its modules itself, so there is no object of
another library behind them, and the error says what ``unwrap`` is for; ``dspex.wrap`` without the
dspy backend names it."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

import dspex_core as dspex
from dspex_core.errors import CapabilityError, InputError, ModuleTypeNotServedError


def test_unwrap_of_a_native_module_is_a_capability_error_saying_what_unwrap_is_for():
    ref = dspex.Predict.create("question -> answer", implementation="native", lm=dspex.OfflineLM())
    with pytest.raises(CapabilityError, match=r"'predict' module on backend 'native' has no object of another "
                                              r"library behind it to unwrap; .*implementation='dspy'"):
        ref.unwrap()


def test_wrap_without_the_dspy_backend_says_which_backend_serves_it():
    if find_spec("dspex_dspy") is None:  # the native env
        with pytest.raises(ModuleTypeNotServedError, match="pip install dspex-dspy"):
            dspex.wrap(object())
    else:  # the all env: the dspy backend serves wrap, and refuses what is not a dspy module
        with pytest.raises(InputError):
            dspex.wrap(object())
