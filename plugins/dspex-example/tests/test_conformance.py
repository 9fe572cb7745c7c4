"""The example backend's conformance suite: copy this file into your own plugin.

``BackendConformance`` (from dspex-core's testing kit) generates signatures, inputs and LM
replies with hypothesis, runs each case on this backend and on the reference through the
public dspex API, and compares what comes out. Every module type the kit covers gets its
tests; the ones this backend does not serve are skipped as "NOT SERVED" (``pytest -rs``).
Every other module type of dspex's module-type table gets a test too: skipped as "NOT
COVERED" when the backend serves it (the kit has no property for it, so nothing was checked),
as "NOT SERVED" when it does not.

The reference is ``dspy`` (the dspex-dspy backend, which runs real DSPy): the example claims
DSPy's semantics, so DSPy is what it must agree with. Set ``DSPEX_REFERENCE=native`` to
compare against dspex-native instead.
"""

import os

from dspex_core.testing import BackendConformance


class TestExampleBackend(BackendConformance):
    backend = "example"
    reference = os.environ.get("DSPEX_REFERENCE", "dspy")
