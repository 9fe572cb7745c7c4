"""Text helpers shared by signatures and by the backends that build DSPy's prompts."""

from __future__ import annotations


def cleandoc(doc: str) -> str:
    """``inspect.cleandoc`` without importing :mod:`inspect` (a heavy import).

    Tabs become spaces, the first line loses its leading whitespace, the other lines lose
    their common indentation, and blank lines at both ends go. DSPy reads a signature's
    instructions this way, so prompts built from them must too.
    """
    lines = doc.expandtabs().split("\n")
    margin = None
    for line in lines[1:]:
        content = len(line.lstrip())
        if content:
            indent = len(line) - content
            margin = indent if margin is None else min(margin, indent)
    lines[0] = lines[0].lstrip()
    if margin is not None:
        lines[1:] = [line[margin:] for line in lines[1:]]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)
