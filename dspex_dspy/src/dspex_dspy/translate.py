"""Translation between dspex's data model and dspy's, both ways.

* signatures: :func:`to_dspy_signature` (a dspex ``Signature`` -> a ``dspy.Signature`` class,
  with types, descriptions, prefixes and instructions) and :func:`from_dspy_signature`;
* language models: :func:`to_dspy_lm` (a ``dspex_core.LM`` description -> ``dspy.LM``; a
  custom-LM object -> :class:`~dspex_dspy.lm.CustomLM` wrapping that same object);
* records: :func:`to_dspy_example` / :func:`from_dspy_example`, :func:`to_dspy_prediction`
  / :func:`from_dspy_prediction` (values unchanged, completions kept), :func:`to_dspy_demos`.

Conversions that are repeated on every call (the signature of a module, the LM of a call)
are kept in LRU caches (:class:`~dspex_core.backend.LRUCache`), so routing through dspex stays
within a few microseconds of calling dspy.
"""

from __future__ import annotations

import types
from typing import Any, Iterable, Mapping

import dspy
from dspex_core.backend import (
    LM,
    Example,
    History,
    Image,
    LRUCache,
    Prediction,
    Signature,
    ToolCallResults,
    ToolCalls,
    credentials,
    is_custom_lm,
    redact,
)
from dspex_core.errors import ConfigError, InputError
from dspy.utils import exceptions as dspy_errors

from dspex_dspy._redacting_lm import RedactingLM
from dspex_dspy.lm import CustomLM

__all__ = [
    "to_dspy_signature", "from_dspy_signature", "to_dspy_lm", "to_dspy_example", "from_dspy_example",
    "to_dspy_prediction", "from_dspy_prediction", "to_dspy_demos", "from_dspy_demos", "coerce_signature",
    "to_dspy_annotation", "to_dspy_inputs",
]

_IS_TYPE_UNDEFINED = "IS_TYPE_UNDEFINED"


# -- signatures ---------------------------------------------------------------------------

def coerce_signature(spec: Any) -> Signature:
    """A dspex ``Signature`` from what users pass: a string, a dspex signature, a dspex
    class-based signature, or a dspy signature class (or instance)."""
    return Signature.coerce(spec)  # a dspy signature class is read by the core, by its attributes


#: dspex signature -> the dspy signature class made for it
_signatures: LRUCache[Signature, type] = LRUCache(4096)


def to_dspy_signature(sig: Any) -> type:
    """The ``dspy.Signature`` class equivalent to ``sig`` (cached per signature value).

    Mirrors how dspy parses a string signature: input fields whose type was not written
    carry dspy's ``IS_TYPE_UNDEFINED`` mark; descriptions and prefixes are only set when
    the author gave them, so dspy derives its own defaults (``${name}``, ``Name:``).
    A dspy signature class is returned unchanged.
    """
    if isinstance(sig, type) and issubclass(sig, dspy.Signature):
        return sig
    sig = Signature.coerce(sig)
    cached = _signatures.get(sig)
    if cached is not None:
        return cached
    return _signatures.put(sig, _make_dspy_signature(sig))


def to_dspy_annotation(annotation: Any) -> Any:
    """dspex's field types as dspy's: ``dspex.History`` is ``dspy.History``, ``dspex.Image``
    ``dspy.Image``, ``dspex.ToolCalls`` ``dspy.ToolCalls``, also inside ``list[...]``,
    ``Optional[...]`` and other generics; others unchanged."""
    if annotation is History:
        return dspy.History
    if annotation is Image:
        return dspy.Image
    if annotation is ToolCalls:
        return dspy.ToolCalls
    import typing

    args = typing.get_args(annotation)
    if not args or typing.get_origin(annotation) is typing.Literal:
        return annotation
    mapped = tuple(a if a is Ellipsis else to_dspy_annotation(a) for a in args)
    if mapped == args:
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[mapped]
    return origin[mapped] if isinstance(annotation, types.GenericAlias) else annotation.copy_with(mapped)


def _to_dspy_value(value: Any) -> Any:
    kind = type(value)
    if kind is History:
        return dspy.History(messages=[{k: _to_dspy_value(v) for k, v in m.items()} for m in value.messages])
    if kind is Image:
        return dspy.Image(url=value.url)
    if kind is ToolCalls:
        calls = [dspy.ToolCalls.ToolCall(id=c.id, name=c.name, args=c.args) for c in value.tool_calls]
        results = value.tool_call_results
        if results is None:
            return dspy.ToolCalls(tool_calls=calls)
        if isinstance(results, ToolCallResults):
            results = dspy.ToolCallResults.model_validate(results.toDict())
        return dspy.ToolCalls(tool_calls=calls, tool_call_results=results)
    if kind is list and any(type(v) in _TRANSLATED for v in value):
        return [_to_dspy_value(v) for v in value]
    return value


_TRANSLATED = (History, Image, ToolCalls)


def to_dspy_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """A call's inputs with dspex's typed values as dspy's (``dspex.History`` -> ``dspy.History``,
    ``dspex.Image`` -> ``dspy.Image``, ``dspex.ToolCalls`` -> ``dspy.ToolCalls``, in lists too),
    changed in place; others are left as they are."""
    for name, value in inputs.items():
        kind = type(value)
        if kind in _TRANSLATED or kind is list:
            inputs[name] = _to_dspy_value(value)
    return inputs


def _make_dspy_signature(sig: Signature) -> type:
    fields: dict[str, tuple[Any, Any]] = {}
    prefixes: dict[str, str] = {}
    for name, field in sig.input_fields.items():
        kwargs = dict(field.extra)
        kwargs[_IS_TYPE_UNDEFINED] = not field.type_given
        if field.desc is not None:
            kwargs["desc"] = field.desc
        fields[name] = (to_dspy_annotation(field.annotation), dspy.InputField(**kwargs))
        if field.prefix is not None:
            prefixes[name] = field.prefix
    for name, field in sig.output_fields.items():
        kwargs = dict(field.extra)
        if field.desc is not None:
            kwargs["desc"] = field.desc
        fields[name] = (to_dspy_annotation(field.annotation), dspy.OutputField(**kwargs))
        if field.prefix is not None:
            prefixes[name] = field.prefix
    made = dspy.Signature(fields, sig.instructions)
    # dspy 3.4 deprecates passing prefix= (it has no effect on prompts); keep the value
    # where dspy keeps its own, without the warning.
    for name, prefix in prefixes.items():
        made.model_fields[name].json_schema_extra["prefix"] = prefix
    return made


def from_dspy_signature(dspy_sig: Any) -> Signature:
    """A dspex ``Signature`` with the same fields, types, descriptions and instructions (the core's
    reading of a dspy signature class, ``Signature.coerce``; a string is parsed by dspy first)."""
    return Signature.coerce(dspy.ensure_signature(dspy_sig))


# -- language models ----------------------------------------------------------------------

#: id(dspex LM) -> (that LM, its dspy LM); the LM is kept to tell a reused id from a hit
_lms: LRUCache[int, tuple[Any, Any]] = LRUCache(256)

#: dspex LM settings dspy.LM takes under another name or not at all.
_DSPY_LM_RENAMES = {"base_url": "api_base"}
#: The native client's backoff settings: dspy has its own backoff, and they are never sent to the
#: provider (``retry_after_max`` is honoured: :class:`~dspex_dspy._deadline.DeadlineLM` takes it).
_NATIVE_ONLY = frozenset({"retry_base_delay", "retry_max_delay"})


def to_dspy_lm(lm: Any) -> Any:
    """The dspy LM for a dspex LM (cached per object, so dspy's client is reused).

    * a ``dspex_core.LM`` description becomes ``dspy.LM(model, **settings)`` with its
      credentials (``api_key``, headers) passed to the client, never logged; an ``api_base`` with
      no key anywhere gets dspex's placeholder key (a local server needs none, dspy asks for one);
    * a custom-LM object (anything callable implementing the LM protocol) becomes a
      :class:`~dspex_dspy.lm.CustomLM` that calls that very object;
    * a ``dspy.BaseLM`` is used as it is.
    """
    if lm is None:
        raise InputError("no language model configured: dspex.configure(lm=dspex.LM('provider/model')) "
                         "or pass lm=")
    if isinstance(lm, dspy.BaseLM):
        return lm
    hit = _lms.get(id(lm))
    if hit is not None and hit[0] is lm:
        return hit[1]
    if isinstance(lm, LM):
        settings = {_DSPY_LM_RENAMES.get(k, k): v for k, v in lm.settings.items() if k not in _NATIVE_ONLY}
        if settings.get("engine", "auto") is None:  # dspex's "not set"; dspy.LM takes only its names
            del settings["engine"]
        for secret in ("api_key", "headers", "extra_headers", "organization"):
            value = lm.secret(secret)
            if value is not None:
                settings[secret] = value
        if ("api_key" not in settings and credentials.names_endpoint(settings, lm.provider)
                and not credentials.has_environment_key(lm.provider)):
            # an endpoint the user named (a local server) needs no key; dspy.LM insists on one
            settings["api_key"] = credentials.NO_KEY_PLACEHOLDER
        try:
            made = RedactingLM(lm.model, **settings)
        except dspy_errors.LMConfigurationError as exc:
            # dspy refuses some settings up front (reasoning models: temperature, max_tokens)
            raise ConfigError(redact(f"{lm.model!r}: dspy.LM refused the settings: {exc}",
                                     lm.secret("api_key"))) from None
    elif is_custom_lm(lm):
        made = CustomLM(lm)
    else:
        raise InputError(f"lm must be a dspex.LM, a custom LM object or a dspy.BaseLM, got {type(lm).__name__}")
    _lms.put(id(lm), (lm, made))
    return made


# -- records ------------------------------------------------------------------------------

def to_dspy_example(example: Any) -> Any:
    """A ``dspy.Example`` with the same values and input keys (dicts are accepted too)."""
    if isinstance(example, dspy.Example):
        return example
    if isinstance(example, Example):
        out = dspy.Example(**example.toDict())
        if example.input_keys is not None:
            out = out.with_inputs(*sorted(example.input_keys))
        return out
    if isinstance(example, Mapping):
        return dspy.Example(**dict(example))
    raise InputError(f"expected a dspex.Example or a dict, got {type(example).__name__}")


def from_dspy_example(example: Any) -> Example:
    """A ``dspex_core.Example`` with the same values and input keys."""
    if isinstance(example, Example):
        return example
    out = Example(dict(example.items()) if hasattr(example, "items") else dict(example))
    keys = getattr(example, "_input_keys", None)
    if keys is not None:
        out = out.with_inputs(*sorted(keys))
    return out


def to_dspy_demos(demos: Iterable[Any] | None) -> list[Any]:
    """Demos for a ``dspy.Predict``: ``dspy.Example`` objects, values unchanged."""
    if demos is None:
        return []
    if isinstance(demos, (str, bytes, Mapping)) or not hasattr(demos, "__iter__"):
        raise InputError(f"demos must be a list of dspex.Example or dicts, got {type(demos).__name__}")
    return [to_dspy_example(d) for d in demos]


def from_dspy_demos(demos: Iterable[Any]) -> list[Example]:
    """dspy demos (``Example`` objects or dicts) as dspex examples."""
    return [from_dspy_example(d) if not isinstance(d, Mapping) else Example(dict(d)) for d in demos]


def from_dspy_prediction(pred: Any) -> Any:
    """A ``dspex_core.Prediction`` with the same fields and values (not copied or coerced).

    All completions are kept when dspy produced several (``n > 1``); LM usage is carried
    over. Something that is not a dspy prediction (a module may return anything) is
    returned unchanged.
    """
    if not isinstance(pred, dspy.Prediction):
        return pred
    completions = pred._completions
    if completions is not None and len(completions) > 1:
        columns = completions._completions
        out = Prediction.from_completions([{k: v[i] for k, v in columns.items()} for i in range(len(completions))])
        # The first completion is what dspy shows; keep any extra fields dspy set.
        for key, value in pred._store.items():
            out[key] = value
    else:
        out = Prediction(pred._store)  # copies the dict, never the values
    usage = pred._lm_usage
    if usage is not None:
        out.set_lm_usage(usage)
    return out


def to_dspy_prediction(pred: Any) -> Any:
    """A ``dspy.Prediction`` with the same fields (and completions)."""
    if isinstance(pred, dspy.Prediction):
        return pred
    if isinstance(pred, Prediction):
        if pred._completions is not None and len(pred._completions) > 1:
            out = dspy.Prediction.from_completions([dict(c) for c in pred.completions])
            for key, value in pred.items():
                out[key] = value
        else:
            out = dspy.Prediction(**pred.toDict())
        usage = pred.get_lm_usage()
        if usage is not None:
            out.set_lm_usage(usage)
        return out
    if isinstance(pred, Mapping):
        return dspy.Prediction(**dict(pred))
    return pred
