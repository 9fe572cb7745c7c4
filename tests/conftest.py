"""Shared test settings: hypothesis profiles (``HYPOTHESIS_PROFILE=thorough`` for many examples),
and dspy kept away from the user's state and the network.

dspy (where installed) keeps a disk cache (``~/.dspy_cache``) whose keys ignore the server's
address, so an answer cached by one test's local server can come back in another test, or
in a later run that happens to get the same port; every test session gets a fresh cache
directory instead (subprocesses inherit it). ``LITELLM_LOCAL_MODEL_COST_MAP`` keeps dspy
from downloading model metadata on first use.
"""

import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

if "DSPY_CACHEDIR" not in os.environ:  # set before any test module imports dspy
    _cache = tempfile.mkdtemp(prefix="dspex-tests-dspy-cache-")
    os.environ["DSPY_CACHEDIR"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
# tox's envs on the Pythons other than 3.11 (py310-parity, ...): the same tests, fewer examples, so
# that CI stays within its time; the properties run in full on 3.11 (tox.ini says which envs).
settings.register_profile("quick", max_examples=10, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
