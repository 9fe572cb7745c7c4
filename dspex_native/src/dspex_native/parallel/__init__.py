"""Running one module over many examples at once, natively: the machinery of the ``parallel``
module type (:mod:`dspex_native.modules.parallel`), DSPy's ``Parallel``.

:mod:`.options` checks the options once, at create; :mod:`.examples` turns the examples into
each call's inputs before anything runs; :mod:`.run` keeps one run's outcomes, errors,
cancellation and stragglers, and builds the result; :mod:`.threads` drives a run on the
configured executor and :mod:`.tasks` on the event loop; :mod:`.progress` draws the progress line.
"""
