"""DSPy's few-shot optimizers, natively: ``LabeledFewShot``, ``BootstrapFewShot`` and
``BootstrapFewShotWithRandomSearch``, with the same LM requests, random draws and compiled
programs as DSPy 3.4's.

* :mod:`.program` is the program being optimized: a native module, copied through its DSPy
  state (``dump_state``/``load_state``) with new demos per predictor, and the compiled result;
* :mod:`.demos` holds DSPy's demo rules: labeled sampling, augmented demos, the choice among
  several traces of one predictor;
* :mod:`.bootstrap` and :mod:`.random_search` are the two algorithms;
* :mod:`.implementation` is what the module-type files share (options, create, describe).

Nothing here is imported by ``import dspex_native``: the module-type files import it when
the registry loads them, and it imports no more than the predictor machinery.
"""
