"""Which ``dspy`` an import finds: the layer where dspy is not installed, and after install()."""

import importlib
import subprocess
import sys

import pytest

import dspex_compat


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_dspy_finds_the_layer_where_dspy_is_not_installed():
    out = _python("import dspy, dspex_compat; print(dspy.__file__.startswith(dspex_compat.SHIM_DIR), "
                  "dspy.__version__, dspex_compat.installed())")
    assert out == "True 3.4.1 True"


def test_the_submodules_programs_import_resolve_to_the_layer():
    out = _python(
        "import dspy.utils, dspy.adapters, dspy.signatures, dspy.primitives, dspy.predict, dspy.evaluate, "
        "dspy.teleprompt, dspy.retrievers, dspy.streaming, dspy.utils.callback, dspy.dsp.utils.settings;"
        "from dspy.utils import DummyLM; from dspy.signatures.signature import Signature;"
        "from dspy.primitives.module import Module; from dspy.clients.base_lm import BaseLM;"
        "from dspy.dsp.utils.settings import DEFAULT_CONFIG;"
        "print(DummyLM.__module__, Signature is dspy.Signature, Module is dspy.Module, issubclass(dspy.LM, BaseLM),"
        " DEFAULT_CONFIG.lm)")
    assert out == "dspex_compat._dummy_lm True True True None"


def test_install_and_uninstall_in_one_process():
    dspex_compat.install()
    try:
        import dspy

        assert dspy.__file__.startswith(dspex_compat.SHIM_DIR)
        assert dspex_compat.installed()
        dspex_compat.install()  # twice is the same
        assert importlib.import_module("dspy") is dspy
    finally:
        dspex_compat.uninstall()
    assert "dspy" not in sys.modules
    assert sys.path[0] != dspex_compat.SHIM_DIR
    # no real dspy here: the .pth entry after site-packages still finds the layer
    import dspy as again

    assert again.__file__.startswith(dspex_compat.SHIM_DIR)


@pytest.mark.parametrize("name", ["GEPA", "MIPROv2", "BootstrapFinetune"])
def test_a_name_not_built_yet_says_so(name):
    import dspy

    with pytest.raises(NotImplementedError, match=rf"\.{name} is not built in dspex-compat yet"):
        getattr(dspy, name)


def test_an_unknown_name_is_an_attribute_error():
    import dspy

    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        dspy.NoSuchThing  # noqa: B018


def test_python_m_dspex_compat_runs_a_script_with_its_arguments(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("import sys, dspy\nprint(dspy.__version__, sys.argv[1:], __name__)\n")
    done = subprocess.run([sys.executable, "-m", "dspex_compat", str(script), "a", "--b"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3.4.1 ['a', '--b'] __main__"


def test_python_m_dspex_compat_without_a_script_prints_usage():
    done = subprocess.run([sys.executable, "-m", "dspex_compat"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "usage: python -m dspex_compat SCRIPT.py" in done.stderr
