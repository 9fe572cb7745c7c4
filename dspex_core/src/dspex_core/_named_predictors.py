"""Reading the named predictors of a saved ``dspy.Module`` (several predictors, or a custom module).

DSPy's ``module.save("x.json")`` of a module with sub-modules writes one entry per predictor,
keyed by the names ``module.named_predictors()`` gives (``"draft.predict"`` for a
``self.draft = dspy.ChainOfThought(...)``, ``"check"`` for a ``dspy.Predict``, ``"items[0]"`` in
a list). It saves state, not the Python code that connects them, so dspex cannot rebuild the
module's ``forward``; what it can rebuild is each predictor, exactly: a ``dspy.Predict`` whose
fields are the saved ones (a ChainOfThought's inner predictor keeps ``reasoning`` among its
outputs), sending byte-identical requests to the corresponding predictor in DSPy.

This module decides, per name, the signature (the caller's, for that name; else inferred from
DSPy's defaults as :mod:`dspex_core.programs` infers a single predictor's) and hands back one
:class:`~dspex_core.programs.SavedProgram` per predictor, of module type ``predict``.
"""

from __future__ import annotations

from typing import Any, Mapping

from dspex_core.errors import InputError, UnknownPredictorError
from dspex_core.programs import SavedProgram, _is_predictor, program_from

__all__ = ["predictor_names", "read_named_predictors", "select_predictor", "SELF"]

#: The name DSPy's ``named_predictors()`` gives a saved ``dspy.Predict`` itself.
SELF = "self"
_SIGNATURES_HINT = ("pass a signature per predictor, e.g. signature={{{name!r}: \"question -> answer\"}} "
                    "(on the command line: --predictor {name} --signature \"question -> answer\")")


def predictor_names(data: Mapping[str, Any]) -> list[str]:
    """The names of the predictors saved in ``data``, in the file's order (``["self"]`` for a
    saved ``dspy.Predict``)."""
    if _is_predictor(data):
        return [SELF]
    return [key for key, value in data.items() if key != "metadata" and _is_predictor(value)]


def unknown_predictor(name: Any, names: list[str], source: str) -> UnknownPredictorError:
    """The error for a predictor name that ``source`` does not have, listing those it has."""
    import difflib

    close = [n for n in names if n.startswith(f"{name}.")][:1] or difflib.get_close_matches(str(name), names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UnknownPredictorError(f"{source} has no predictor {name!r}{hint}; its predictors are: "
                                 f"{', '.join(names) or 'none'}")


def select_predictor(data: Mapping[str, Any], name: str, source: str) -> dict[str, Any]:
    """The saved state of the predictor called ``name`` (a ``dspy.Predict``'s dict)."""
    names = predictor_names(data)
    if name not in names:
        raise unknown_predictor(name, names, source)
    found = data if name == SELF else data[name]
    return {k: v for k, v in found.items() if k != "metadata"}


def signature_for(name: str, signature: Any, names: list[str], source: str) -> Any:
    """The caller's signature for predictor ``name``: one of a dict by name (a name not in the
    file is an error listing the file's), or ``None``."""
    if signature is None:
        return None
    if isinstance(signature, Mapping):
        unknown = [key for key in signature if key not in names]
        if unknown:
            raise unknown_predictor(unknown[0], names, f"{source} (signature={{...}})")
        return signature.get(name)
    if len(names) == 1:
        return signature
    raise InputError(f"{source} holds several predictors ({', '.join(names)}): give signature= as a dict of "
                     f"signatures by predictor name, or load one predictor with predictor=NAME")


def read_one(data: Mapping[str, Any], name: str, signature: Any, source: str,
             module_type: str | None = None) -> SavedProgram:
    """Predictor ``name`` of ``data`` as a program of its own: a ``predict`` (or ``module_type``,
    e.g. ``chain_of_thought`` for a ChainOfThought's ``predict``), its signature decided as a single
    predictor's is (a given one, ``metadata.dspex`` for a saved Predict's ``self``, or inferred)."""
    state = dict(data) if name == SELF and name in predictor_names(data) else select_predictor(data, name, source)
    where = source if name == SELF else f"predictor {name!r} of {source}"
    try:
        return program_from(state, where, module_type=module_type, signature=signature)
    except InputError as exc:
        if signature is not None or "--signature" not in str(exc):
            raise
        raise InputError(f"{exc}; or {_SIGNATURES_HINT.format(name=name)}") from None


def read_named_predictors(data: Mapping[str, Any], source: str, signature: Any = None) -> dict[str, SavedProgram]:
    """Every predictor of a saved module, by name, each a ``predict`` program (see the module docs)."""
    names = predictor_names(data)
    if not names:
        raise InputError(f"{source} does not look like a saved DSPy program: no predictor state (a 'signature' "
                         f"with 'instructions' and 'fields') was found; keys: {', '.join(map(str, data)) or 'none'}")
    return {name: read_one(data, name, signature_for(name, signature, names, source), source) for name in names}
