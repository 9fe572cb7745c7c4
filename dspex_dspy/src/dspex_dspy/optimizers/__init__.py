"""What the dspy backend's optimizers share: DSPy's optimizers as dspex module types.

``dspex.BootstrapFewShot.create(metric=fn, max_bootstrapped_demos=2)`` makes an optimizer;
``dspex.compile(optimizer, program, trainset=[...], valset=None)`` returns a *new*
``ModuleRef`` for the compiled program (demos and instructions in ``ref.describe()``,
``ref.save(path)`` in dspy's JSON format). Options are DSPy's own; an unknown one is an
``InputError`` listing the valid ones.

Each optimizer module type has its file in :mod:`dspex_dspy.modules` (``labeled_few_shot``,
``bootstrap_few_shot``, ``bootstrap_few_shot_with_random_search``, ``copro``, ``mipro_v2``,
``mipro``); this package holds the machinery they share: the implementation base
(``_base``), the program to optimize and the compiled one (``_program``), the training sets
(``_data``), the metric guard (``_metric``), DSPy's option lists (``_options``) and the
``dspy.MIPROv2`` checks that ``mipro_v2`` and ``mipro`` share (``_mipro``).
"""
