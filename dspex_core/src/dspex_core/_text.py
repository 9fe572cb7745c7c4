"""Text helpers shared by signatures and by the backends that build DSPy's prompts."""

from __future__ import annotations

import sys

#: What ``inspect.cleandoc`` strips as indentation: any whitespace up to Python 3.12, spaces only
#: from 3.13 (``'\x1f'``, ``'\x0c'``, ... are kept there), so ``None`` (whitespace) or ``" "``.
_INDENT = " " if sys.version_info >= (3, 13) else None


def cleandoc(doc: str) -> str:
    """``inspect.cleandoc`` of the running Python, without importing :mod:`inspect` (a heavy import).

    Tabs become spaces, the first line loses its leading indentation, the other lines lose
    their common indentation, and blank lines at both ends go. DSPy reads a signature's
    instructions this way, so prompts built from them must too.
    """
    if "\n" not in doc:  # one line (most docstrings): only its leading indentation goes
        return doc.expandtabs().lstrip(_INDENT)
    lines = doc.expandtabs().split("\n")
    margin = None
    for line in lines[1:]:
        content = len(line.lstrip(_INDENT))
        if content:
            indent = len(line) - content
            margin = indent if margin is None else min(margin, indent)
    lines[0] = lines[0].lstrip(_INDENT)
    if margin is not None:
        lines[1:] = [line[margin:] for line in lines[1:]]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)
