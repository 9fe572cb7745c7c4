"""The code in an RLM step: the LM's ``code`` output with its markdown fences taken off.

Outer decorative fence pairs go, text before the first fence is skipped, a bare or
Python-labelled fence is accepted and a fence of another language is a ``SyntaxError`` the LM
is shown (DSPy's ``_strip_code_fences``).
"""

from __future__ import annotations

__all__ = ["strip_code_fences"]

_PYTHON_FENCE_LANGS = {"python", "py", "python3", "py3", ""}


def strip_code_fences(code: str) -> str:
    """Python code from markdown fences, or ``code`` as it is when it has none."""
    code = code.strip()
    if "```" not in code:
        return code
    lines = code.splitlines()
    while len(lines) >= 2 and lines[0].strip() == "```" and lines[-1].strip() == "```":
        lines.pop(0)
        lines.pop()
    code = "\n".join(lines).strip()
    if "```" not in code:
        return code
    fence_start = code.find("```")
    lang_line, separator, remainder = code[fence_start + 3:].partition("\n")
    if not separator:
        return code
    lang = (lang_line.strip().split(maxsplit=1)[0] if lang_line.strip() else "").lower()
    if lang not in _PYTHON_FENCE_LANGS:
        raise SyntaxError(f"Expected Python code but got ```{lang} fence. Write Python code, not {lang}.")
    block_end = remainder.find("```")
    if block_end == -1:
        return remainder.strip()
    return remainder[:block_end].strip()
