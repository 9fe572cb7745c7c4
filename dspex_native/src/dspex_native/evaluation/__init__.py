"""Scoring a program on a devset, natively: the machinery of the ``evaluate`` module type
(:mod:`dspex_native.modules.evaluate`).

:mod:`.options` checks the options once, :mod:`.calls` turns the program and the metric into
per-example calls, :mod:`.run` keeps one run's errors, cancellation and result, and
:mod:`.progress` draws the progress line.
"""
