"""The native plugin registers one implementation per file of ``dspex_native/modules``, and
every such file is a module type of the core's table."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

from dspex_core import registry
from dspex_core.backend import check_implementation, module_types
from dspex_native import modules

FILES = sorted(info.name for info in pkgutil.iter_modules(modules.__path__))


def test_the_modules_package_holds_the_module_types_native_serves():
    assert FILES == sorted(["predict", "chain_of_thought", "signature", "template", "validator", "metrics",
                            "evaluate", "parallel", "program_of_thought", "multi_chain_comparison", "retry",
                            "best_of_n", "refine", "react", "labeled_few_shot", "bootstrap_few_shot",
                            "bootstrap_few_shot_with_random_search", "copro", "mipro", "mipro_v2", "colbert_v2",
                            "retrieve", "lm"])


def test_every_file_is_a_module_type_of_the_table():
    unknown = [name for name in FILES if name not in module_types()]
    assert not unknown, f"dspex_native/modules has files that are not module types: {unknown}"


def test_every_file_is_registered_by_the_plugin_as_its_implementation():
    registry.refresh()
    served = registry.list_by_implementation()["native"]
    assert sorted(served) == FILES
    # the order `dspex backends` lists them in: LM modules, steps, metrics, evaluation, then the other kinds
    # (optimizers, retrievers) in the table's order
    assert served == ["predict", "chain_of_thought", "react", "program_of_thought", "multi_chain_comparison", "retry",
                      "best_of_n", "refine", "parallel", "lm", "signature", "template", "validator", "metrics",
                      "evaluate",
                      "labeled_few_shot", "bootstrap_few_shot", "bootstrap_few_shot_with_random_search", "copro",
                      "mipro", "mipro_v2", "colbert_v2", "retrieve"]
    for name in FILES:
        module = importlib.import_module(f"dspex_native.modules.{name}")
        registration = registry.lookup("native", name)
        assert registration.implementation is module.implementation
        assert registration.native and registration.priority == 100
        assert check_implementation(module.implementation) == []
        assert module.implementation.module_type == name


def test_importing_the_plugin_loads_no_implementation():
    code = ("import sys, dspex_native.plugin; "
            "print(sorted(m for m in sys.modules if m.startswith('dspex_native.') and m != 'dspex_native.plugin'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
