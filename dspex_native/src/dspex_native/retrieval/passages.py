"""A retriever (``rm``) and what it returns, read as ``dspy.Retrieve`` reads it.

An ``rm`` is a callable ``rm(query, k=k) -> passages`` (a user's function, a dspy retriever
object such as ``dspy.ColBERTv2(...)``: it is only called) or a dspex ``colbert_v2``/``retrieve``
module reference of any backend (called with ``query=``/``k=``; its ``passages`` are used). What
it returns is made a list when it is a single value (DSPy's ``Iterable`` check); each passage is
a string, an object with ``long_text`` (DSPy's ``dotdict``), or a dict with a string
``long_text`` or ``text``; the passage's text is what ``Retrieve`` returns. These are the dspy
backend's rules (``dspex_dspy.modules.retrieve``), word for word in the errors.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Mapping

from dspex_core.backend import ModuleRef
from dspex_core.errors import InputError

NO_RM = "no retriever configured: dspex.configure(rm=...) or Retrieve.create(rm=...)"


def check_rm(rm: Any) -> Any:
    """``rm`` if it can be a retriever, else an :class:`InputError`."""
    if isinstance(rm, ModuleRef) or callable(rm):
        return rm
    raise InputError(f"rm must be a callable (query, k) -> list[str], a dspy retriever or a dspex retriever "
                     f"module, got {type(rm).__name__}")


def passage_text(item: Any) -> Any:
    """The text of one passage (``dspy.Retrieve``'s ``psg.long_text``)."""
    if isinstance(item, str):
        return item
    if hasattr(item, "long_text"):  # DSPy's dotdict, or any object with the attribute
        return item.long_text
    if isinstance(item, Mapping):
        text = item.get("long_text", item.get("text"))
        if isinstance(text, str):
            return text
    raise InputError(f"the retriever returned {item!r}; a retriever returns passages as strings "
                     f"(or dicts with 'text'/'long_text')")


def texts(found: Any) -> list[Any]:
    """The passage texts of what a retriever returned."""
    if isinstance(found, (str, bytes)) or not hasattr(found, "__iter__"):
        found = [found]
    return [passage_text(item) for item in found]


def retrieve(rm: Any, query: str, k: int) -> list[Any]:
    """Call ``rm`` for ``query`` and ``k`` and return the passage texts."""
    if isinstance(rm, ModuleRef):
        return texts(rm(query=query, k=k).passages)
    found = rm(query, k=k)
    if inspect.isawaitable(found):
        if inspect.iscoroutine(found):
            found.close()
        raise InputError("rm is asynchronous (it returned an awaitable): call the module with acall/aexecute, "
                         "or give a synchronous rm")
    return texts(found)


async def aretrieve(rm: Any, query: str, k: int) -> list[Any]:
    """:func:`retrieve` on the event loop: a module reference's ``acall``, an ``async def`` rm
    awaited, a synchronous rm in a worker thread."""
    if isinstance(rm, ModuleRef):
        return texts((await rm.acall(query=query, k=k)).passages)
    if inspect.iscoroutinefunction(rm) or inspect.iscoroutinefunction(getattr(rm, "__call__", None)):
        found = await rm(query, k=k)
    else:
        found = await asyncio.to_thread(rm, query, k=k)
        if inspect.isawaitable(found):
            found = await found
    return texts(found)
