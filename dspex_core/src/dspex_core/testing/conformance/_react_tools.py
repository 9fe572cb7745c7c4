"""The tools ``react`` cases choose from: plain deterministic callables, so that the backend and
the reference are given the same functions and every run of a case gives the same observations.

They cover what DSPy describes and checks differently for each: annotated arguments (``str``,
``int``, ``float``, ``bool``, ``Optional``, ``list``, ``dict``, ``Literal``, ``Union``), defaults,
no annotation at all, docstrings of one line, several lines or none, a callable object,
``**kwargs``, an async tool (which a sync call refuses with DSPy's error as the observation), a
tool that always raises (its observation is the error with a traceback: see
:data:`._masks.TOOL_TRACEBACK`), one returning what DSPy cannot render as text (a list of
numbers) and one returning a dataclass with a date and an enum (which pydantic writes as JSON).
A case names its tools; :func:`tools` gives the callables.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import enum
import json
from typing import Any, Literal, Optional, Union


# -- tools -----------------------------------------------------------------------------------

def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Get the weather for a city."""
    return f"{city}: 21{unit}"


def add(a: int, b: int = 2) -> int:
    """Add two integers.

    Returns their sum."""
    return a + b


def search(query: str, limit: Optional[int] = None, tags: list[str] = ["news"]) -> list[str]:  # noqa: B006
    """Search the web; returns titles."""
    return [f"{query} #{i} {tags}" for i in range(limit if limit is not None and 0 <= limit < 4 else 2)]


def lookup(key, table: dict[str, float] = {"pi": 3.14}):  # noqa: B006 - no annotation, no docstring
    return table.get(key) if isinstance(key, str) else None


def fail(reason: str = "boom") -> str:
    """Always fails, with the reason given."""
    raise RuntimeError(reason)


def scale(x: float, factor: float = 1.5, tags: Optional[list[str]] = None) -> dict:
    """Scale a number.
        Indented second line."""
    return {"x": x * factor, "tags": tags, "ok": True}


def flag(on: bool, label: Union[int, str] = 0) -> str:
    """Set a flag."""
    return f"{label}={on!r}"


def numbers(count: int = 3) -> list:
    """Numbers up to count (a list of ints: DSPy cannot render that as text and raises)."""
    return list(range(count))


def notes(**kwargs: Any) -> str:
    """Take notes, any keyword."""
    return json.dumps(kwargs, sort_keys=True)


async def ping(host: str, times: int = 1) -> str:
    """Ping a host (async)."""
    await asyncio.sleep(0)
    return f"pong {host} x{times}"


class Mood(enum.Enum):
    CALM = "calm"


@dataclasses.dataclass
class Day:
    date: datetime.date
    mood: Mood
    notes: tuple = ()


def calendar(day: int = 1) -> Day:
    """A day of January 2024 (a dataclass with a date and an enum: pydantic writes it as JSON)."""
    return Day(datetime.date(2024, 1, min(max(day, 1), 28)), Mood.CALM, ("x", 1.5))


class Counter:
    """Counts calls; a callable object as a tool."""

    def __call__(self, step: int = 1) -> int:
        return step * 2


counter = Counter()
TOOLS = {"get_weather": get_weather, "add": add, "search": search, "lookup": lookup, "fail": fail, "scale": scale,
         "flag": flag, "numbers": numbers, "notes": notes, "ping": ping, "Counter": counter, "calendar": calendar}


def tool_params(name: str) -> dict[str, tuple[Any, bool]]:
    """``{argument: (annotation, required)}`` of a pool tool."""
    import inspect
    from typing import get_type_hints

    func = TOOLS[name]
    target = func if inspect.isfunction(func) else func.__call__
    hints = get_type_hints(target)
    return {k: (hints.get(k, Any), p.default is inspect.Parameter.empty)
            for k, p in inspect.signature(target).parameters.items() if p.kind != p.VAR_KEYWORD}


def tools(names: list[str]) -> list[Any]:
    """The callables of the pool tools named ``names``, in that order."""
    return [TOOLS[name] for name in names]
