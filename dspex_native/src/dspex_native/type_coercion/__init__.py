"""Checking and converting values to the types signature fields declare, DSPy's way.

The pipeline steps (``signature``, ``validator``) get values from other steps, from Python
callers and from the command line; :mod:`.rules` converts one value to one type (or says why
not) and :mod:`.fields` applies that to a set of named values, collecting every problem.
"""
