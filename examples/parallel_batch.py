"""Many inputs at once: ``dspex.Parallel`` runs one module over a batch in worker threads.

Shows DSPy's ``Parallel`` on the native backend: ``examples=[...]`` of input dicts (or
``Example``s), ``num_threads`` calls at a time, results in input order, and with
``return_failed_examples=True`` the inputs that failed and their exceptions instead of
stopping the batch. With a real model the batch takes about (calls x latency / threads).

    python examples/parallel_batch.py [--lm openai/gpt-4o-mini] [--threads 4]
"""

import argparse
import time

import dspex_core as dspex
from _common import setup, short

CITIES = ["Paris", "London", "Haarlem", "Geneva", "Berlin", "Rome"]


def main() -> None:
    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--threads", type=int, default=4)

    args = setup(__doc__.splitlines()[0], arguments)
    describe = dspex.Predict.create("city -> one_line_description")
    batch = dspex.Parallel.create(describe, num_threads=args.threads, return_failed_examples=True)
    inputs = [{"city": city} for city in CITIES] + [{"town": "Lyon"}]  # the last one has the wrong field
    start = time.perf_counter()
    result = batch(examples=inputs)
    elapsed = time.perf_counter() - start
    done = [pred for pred in result.results if pred is not None]
    print(f"{len(done)} of {len(inputs)} done in {elapsed * 1000:.0f} ms on {batch.backend}, {args.threads} threads")
    for city, pred in list(zip(CITIES, result.results))[:3]:
        print(f"  {city}: {short(pred.one_line_description, 60)}")
    for failed, error in zip(result.failed_examples, result.exceptions):
        print(f"  failed {failed}: {type(error).__name__}: {short(error, 50)}")


if __name__ == "__main__":
    main()
