"""The coverage section of a ``BackendConformance`` run: telling its reader what was *not* checked.

Skips are easy to miss and a passing run says nothing about module types the kit has no
property for. So every run of a ``BackendConformance`` subclass adds a section to pytest's
terminal summary, one block per subclass::

    ====================== dspex conformance: coverage ======================
    TestNativeAgainstDspy: backend 'native' against reference 'dspy'
      checked (parity and contract): predict, chain_of_thought, metrics, evaluate
      contract only, no parity (the reference 'dspy' does not serve them): signature, template, validator
      NOT COVERED by the kit, nothing was checked: react

Without pytest's terminal reporter (``-p no:terminal``, an xdist worker) the same lines are
issued as a :class:`ConformanceCoverageWarning`, which pytest lists in its warnings summary.
"""

from __future__ import annotations

from typing import Any

from dspex_core.testing.conformance._coverage import CHECKED, CONTRACT_ONLY, NOT_COVERED, coverage

PLUGIN_NAME = "dspex-conformance-coverage"


class ConformanceCoverageWarning(UserWarning):
    """Module types a conformance run did not check (fully, or at all)."""


def coverage_lines(suite: str, backend: str, reference: str, selected: tuple[str, ...] | None) -> list[str]:
    """The report block of one conformance suite."""
    found = coverage(backend, reference)
    groups: dict[str, list[str]] = {}
    for module_type, status in found.items():
        if selected is not None and module_type not in selected and status != NOT_COVERED:
            status = "excluded"
        groups.setdefault(status, []).append(module_type)
    lines = [f"{suite}: backend {backend!r} against reference {reference!r}"]
    labels = ((CHECKED, "checked (parity and contract)"),
              (CONTRACT_ONLY, f"contract only, no parity (the reference {reference!r} does not serve them)"),
              ("excluded", f"not checked (left out by {suite}.module_types)"),
              (NOT_COVERED, "NOT COVERED by the kit, nothing was checked"))
    for status, label in labels:
        if groups.get(status):
            lines.append(f"  {label}: {', '.join(groups[status])}")
    if not found:
        lines.append(f"  backend {backend!r} registers no module type")
    elif not groups.get(NOT_COVERED):
        lines.append("  not covered by the kit: none (the kit has properties for every type it registers)")
    return lines


class CoverageReport:
    """A pytest plugin (registered by the first suite that runs) that prints every suite's block."""

    def __init__(self) -> None:
        self.blocks: dict[str, list[str]] = {}

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.blocks:
            return
        terminalreporter.section("dspex conformance: coverage")
        for lines in self.blocks.values():
            for line in lines:
                terminalreporter.write_line(line)


def report(config: Any, suite: str, backend: str, reference: str, selected: tuple[str, ...] | None) -> None:
    """Add ``suite``'s block to this pytest run's summary (or warn, without a terminal reporter)."""
    import warnings

    lines = coverage_lines(suite, backend, reference, selected)
    if config.pluginmanager.get_plugin("terminalreporter") is None:
        warnings.warn(ConformanceCoverageWarning("\n".join(lines)), stacklevel=2)
        return
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None:
        plugin = CoverageReport()
        config.pluginmanager.register(plugin, PLUGIN_NAME)
    plugin.blocks[suite] = lines
