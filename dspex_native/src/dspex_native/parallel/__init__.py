"""Running one module over many examples at once, natively: the machinery of the ``parallel``
module type (:mod:`dspex_native.modules.parallel`), DSPy's ``Parallel``.

The options and the examples are checked by the rules every backend shares
(``dspex_core.backend.parallel_rules``), before anything runs; :mod:`.run` keeps one run's outcomes, errors,
cancellation and stragglers, and builds the result; :mod:`.threads` drives a run on the
configured executor and :mod:`.tasks` on the event loop; :mod:`.progress` draws the progress line.
"""
