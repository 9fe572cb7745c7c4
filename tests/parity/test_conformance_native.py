"""The conformance kit's first user: the native backend against dspy.

Every parity property of DESIGN.md and every contract check of
``dspex_core.testing.conformance.BackendConformance`` runs here for each module type both
backends serve (``predict``, ``chain_of_thought``, ``metrics``, ...); a type one of them
does not serve is skipped as NOT SERVED. ``DSPEX_HYPOTHESIS_PROFILE=thorough`` (or
``HYPOTHESIS_PROFILE=thorough``) runs ten times as many examples per property.
"""

from dspex_core.testing.conformance import BackendConformance


class TestNativeAgainstDspy(BackendConformance):
    backend = "native"
    reference = "dspy"
