"""Sandbox side of the dspy facade: the stand-in ``dspy`` module that code in RLM's REPL imports.

This file is never imported by the host: RLM executes its text in the interpreter (see
:mod:`dspex_compat._facade`) after registering two host tools, ``__dspy_construct__`` and
``__dspy_call__``. Code in the REPL then writes ``dspy.Predict("q -> a")(q=...)`` or a
``dspy.Module`` whose attributes are predictors, and each predictor is built and run on the host:

- a constructor (``dspy.Predict``, ``dspy.ChainOfThought``, ``dspy.RLM``, ...) returns a pending
  predictor; assigning it to a ``dspy.Module`` attribute, or calling it, has the host build it
  (the attribute name is its handle) and binds a proxy whose calls run it on the host;
- callables (tools) and ``dspy.Signature(...)`` cannot cross the JSON boundary, so they travel as
  markers the host resolves: tools by their global name, signatures as ``__dspy_sig__`` payloads.

Every name is ``_dspy``-prefixed, out of the code's way (RLM refuses tools and inputs named so).
In an interpreter that shares the host's memory (the host process), ``import dspy`` is bound to
this stand-in in the namespace's own ``__import__``, so the host's ``dspy`` stays in place.
"""

import sys as _dspy_sys
import types as _dspy_types


def _dspy_host(_fn, **_kw):
    # A registered host tool, called by name (the CodeInterpreter.tools contract).
    return globals()[_fn](**_kw)


class _DspyPrediction:
    """Holds a host prediction's output fields (attribute and item access)."""

    def __init__(self, **_fields):
        object.__setattr__(self, "_fields", dict(_fields))

    def __getattr__(self, _name):
        _f = object.__getattribute__(self, "_fields")
        if _name in _f:
            return _f[_name]
        raise AttributeError(_name)

    def __getitem__(self, _name):
        return object.__getattribute__(self, "_fields")[_name]

    def __repr__(self):
        return "Prediction(" + repr(object.__getattribute__(self, "_fields")) + ")"


class _DspyProxy:
    """A host predictor's handle: calling it runs the predictor on the host."""

    def __init__(self, _handle):
        object.__setattr__(self, "_handle", _handle)

    def __call__(self, **_inputs):
        _out = _dspy_host("__dspy_call__", handle=object.__getattribute__(self, "_handle"), inputs=_inputs)
        return _DspyPrediction(**(_out or {}))


_dspy_anon_count = 0


class _DspyPending:
    """A constructed predictor not yet built on the host (waiting for its attribute name or a call)."""

    def __init__(self, _kind, _sig, _kwargs):
        self.kind = _kind
        self.sig = _sig
        self.kwargs = _kwargs
        self.proxy = None

    def __call__(self, **_inputs):
        if self.proxy is None:
            global _dspy_anon_count
            _dspy_anon_count += 1
            self.proxy = _DspyProxy(_dspy_host("__dspy_construct__", kind=self.kind, signature=self.sig,
                                               attr_name="_dspy_anon_" + str(_dspy_anon_count), kwargs=self.kwargs))
        return self.proxy(**_inputs)


class _DspyModule:
    """``dspy.Module``: predictor attributes are built on the host when assigned."""

    def __init__(self, *_a, **_k):
        pass

    def __setattr__(self, _name, _value):
        if isinstance(_value, _DspyPending):
            _value = _DspyProxy(_dspy_host("__dspy_construct__", kind=_value.kind, signature=_value.sig,
                                           attr_name=_name, kwargs=_value.kwargs))
        object.__setattr__(self, _name, _value)

    def __call__(self, **_kw):
        return self.forward(**_kw)


def _dspy_tool_name(_v):
    # A host tool is named by the global it is bound to (backends may bind anonymous proxies).
    for _k, _x in globals().items():
        if _x is _v and not _k.startswith("_"):
            return _k
    return getattr(_v, "__name__", type(_v).__name__)


def _dspy_enc(_v):
    if callable(_v):
        return {"__dspy_tool__": _dspy_tool_name(_v)}
    if isinstance(_v, (list, tuple)):
        return [_dspy_enc(_x) for _x in _v]
    if isinstance(_v, dict):
        return {_k: _dspy_enc(_x) for _k, _x in _v.items()}
    return _v


def _dspy_make_ctor(_kind):
    def _ctor(signature=None, **_kwargs):
        return _DspyPending(_kind, signature, {_k: _dspy_enc(_v) for _k, _v in _kwargs.items()})

    return _ctor


def _dspy_signature(signature, instructions=None, **_kw):
    return {"__dspy_sig__": True, "signature": signature, "instructions": instructions}


def _dspy_tool(func, **_kw):
    return func


_dspy = _dspy_types.ModuleType("dspy")
_dspy.Module = _DspyModule
_dspy.Prediction = _DspyPrediction
_dspy.Signature = _dspy_signature
_dspy.Tool = _dspy_tool
for _k in ("Predict", "ChainOfThought", "RLM", "CodeAct", "ProgramOfThought", "ReAct", "ReActV2"):
    setattr(_dspy, _k, _dspy_make_ctor(_k))
dspy = _dspy

if "__dspy_construct__" in globals():
    _dspy_host_facade = getattr(_dspy_sys, "modules", {}).get("dspex_compat._facade")
    if getattr(_dspy_host_facade, "HOST_PROCESS_TOKEN", None) == __dspy_host_token:  # noqa: F821 - host-injected
        _dspy_builtins = globals()["__builtins__"]
        _dspy_builtins = dict(_dspy_builtins if isinstance(_dspy_builtins, dict) else vars(_dspy_builtins))
        _dspy_import_orig = _dspy_builtins["__import__"]

        def _dspy_import(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 0 and name.split(".")[0] == "dspy":
                if name != "dspy":
                    raise ModuleNotFoundError(f"No module named {name!r}; 'dspy' is not a package", name=name)
                return _dspy
            return _dspy_import_orig(name, globals, locals, fromlist, level)

        _dspy_builtins["__import__"] = _dspy_import
        globals()["__builtins__"] = _dspy_builtins
    else:
        _dspy_sys.modules["dspy"] = _dspy
