"""The progress line of a ``parallel`` run: DSPy's ``Processed n / N examples``, drawn with
evaluate's one-line bar (:mod:`dspex_native.evaluation.progress`) on stderr, so that a
program's own output on stdout stays clean (DSPy draws its tqdm bar on stdout)."""

from __future__ import annotations

from dspex_native.evaluation.progress import Progress


class ParallelProgress(Progress):
    """Counts finished examples; ``scored`` are those that did not fail, as DSPy counts them."""

    def line(self) -> str:
        filled = self.width * self.done // self.total if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        return f"Processed {self.scored} / {self.total} examples |{bar}| {self.done}/{self.total}"
