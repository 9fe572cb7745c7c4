"""What the native react tests share: tools, and LM replies in DSPy's chat format."""

from __future__ import annotations

import asyncio
import json
from typing import Any


def add(a: int, b: int = 2) -> int:
    """Add two integers.

    Returns their sum."""
    return a + b


def fail(reason: str = "boom") -> str:
    """Always fails."""
    raise RuntimeError(reason)


async def ping(host: str) -> str:
    """Ping a host."""
    await asyncio.sleep(0)
    return f"pong {host}"


def chat(**fields: Any) -> str:
    parts = [f"[[ ## {k} ## ]]\n{v if isinstance(v, str) else json.dumps(v)}" for k, v in fields.items()]
    return "\n\n".join(parts) + "\n\n[[ ## completed ## ]]"


def step(tool: str, thought: str = "Think.", **args: Any) -> str:
    return chat(next_thought=thought, next_tool_name=tool, next_tool_args=args)


ANSWER = chat(reasoning="40 + 2 = 42", answer="42")
