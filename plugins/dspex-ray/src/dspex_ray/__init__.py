"""dspex-ray: the ``ray`` executor, which runs dspex evaluations, optimizers' scoring and
``dspex.map`` on a Ray cluster (or a local Ray instance).

::

    import dspex_core as dspex

    dspex.configure(lm=dspex.LM("openai/gpt-4o-mini"), executor="ray",
                    executor_options={"address": "ray://head:10001"})
    predictions = dspex.map(program, inputs)

The plugin registers itself through the ``dspex.backends`` entry point; ``import ray`` happens
when the executor first runs work, never when dspex loads its plugins.
"""

from __future__ import annotations

from dspex_ray._errors import RayUnavailableError
from dspex_ray._executor import RayExecutor

__all__ = ["RayExecutor", "RayUnavailableError"]
