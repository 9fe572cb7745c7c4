"""The code in a ``generated_code`` reply, by DSPy 3.4 ProgramOfThought's rules.

The reply is cut at the first ``---`` and at the first blank run of two empty lines; a
```` ```python ```` block inside it is taken when there is one; an empty result, or a single
line holding more than one ``=``, is refused with DSPy's error text (which the LM is shown
on the next attempt); and when the last line assigns a name, the name is appended as a last
line so that the value becomes the code's result.
"""

from __future__ import annotations

import re
from typing import Any

# The fence may be followed by a space or a newline, and its end may be "``" or "```".
_FENCED = re.compile(r"```python[ \n](.*?)[ \n]```?", re.DOTALL)
_ASSIGNED = re.compile(r"^(\w+)\s*=")

EMPTY = "Error: Empty code after parsing."
MALFORMED = "Error: Code format is not correct."


def parse_code(reply: Any) -> tuple[str, str | None]:
    """``(code, None)`` to run, or ``(text, error)`` when the reply holds no usable code.

    ``reply`` is the step's prediction (its ``generated_code``, ``""`` when absent).
    """
    text = reply.get("generated_code", "")
    text = text.split("---", 1)[0].split("\n\n\n", 1)[0]
    fenced = _FENCED.search(text)
    code = fenced.group(1) if fenced else text
    if not code:
        return text, EMPTY
    if "\n" not in code and code.count("=") > 1:
        return text, MALFORMED
    assigned = _ASSIGNED.match(code.rsplit("\n", 1)[-1].strip())
    if assigned:
        code = f"{code}\n{assigned.group(1)}"
    return code, None
