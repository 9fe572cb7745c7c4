"""Hypothesis profiles for the conformance kit: fast for CI, thorough on demand.

* ``dspex-ci`` (the default): a few hundred examples per property, no deadline;
* ``dspex-thorough``: ten times as many;
* ``dspex-quick``: a tenth as many, for a smoke run (dspex's own CI on its extra Pythons).

The profile is chosen by ``DSPEX_HYPOTHESIS_PROFILE``, else ``HYPOTHESIS_PROFILE`` (``ci``, ``quick`` and
``thorough`` are accepted as short names, so a repository's own ``HYPOTHESIS_PROFILE=thorough``
also makes the kit thorough). ``DSPEX_CONFORMANCE_EXAMPLES=N`` overrides the number of
examples. Every profile prints the minimal failing example and the blob to reproduce it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Verbosity, settings

CI = "dspex-ci"
THOROUGH = "dspex-thorough"
QUICK = "dspex-quick"
CI_EXAMPLES = 200
THOROUGH_EXAMPLES = 2000
QUICK_EXAMPLES = 20
_ALIASES = {"ci": CI, "fast": CI, "thorough": THOROUGH, "dspex-ci": CI, "dspex-thorough": THOROUGH,
            "quick": QUICK, "dspex-quick": QUICK}
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(CI, max_examples=CI_EXAMPLES, deadline=None, print_blob=True,
                          suppress_health_check=_SUPPRESS, verbosity=Verbosity.normal)
settings.register_profile(THOROUGH, max_examples=THOROUGH_EXAMPLES, deadline=None, print_blob=True,
                          suppress_health_check=_SUPPRESS, verbosity=Verbosity.normal)
settings.register_profile(QUICK, max_examples=QUICK_EXAMPLES, deadline=None, print_blob=True,
                          suppress_health_check=_SUPPRESS, verbosity=Verbosity.normal)


def profile_name() -> str:
    """The kit's profile for this process, from the environment (``dspex-ci`` by default)."""
    raw = os.environ.get("DSPEX_HYPOTHESIS_PROFILE") or os.environ.get("HYPOTHESIS_PROFILE") or CI
    return _ALIASES.get(raw.strip().lower(), CI)


def examples(default: int | None = None) -> int:
    """How many examples per property: ``DSPEX_CONFORMANCE_EXAMPLES``, else ``default``, else the profile's."""
    raw = os.environ.get("DSPEX_CONFORMANCE_EXAMPLES")
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            from dspex_core.errors import ConfigError

            raise ConfigError(f"DSPEX_CONFORMANCE_EXAMPLES must be a whole number, got {raw!r}") from None
    if default is not None:
        return default
    return settings.get_profile(profile_name()).max_examples


def conformance_settings(max_examples: int | None = None, **overrides: object) -> settings:
    """Hypothesis settings for one conformance property (the profile, plus ``overrides``)."""
    return settings(settings.get_profile(profile_name()), max_examples=examples(max_examples),
                    **overrides)  # type: ignore[arg-type]
