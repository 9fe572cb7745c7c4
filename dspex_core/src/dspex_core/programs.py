"""Reading programs saved by DSPy (``module.save("x.json")``) or by dspex, to run them anywhere.

DSPy saves a program's *state*, not its structure: per predictor the demos, the instructions
and each field's prefix and description, in field order. Field names, their types and which
fields are inputs are not written down. To rebuild a program on any backend dspex needs a
module type and a signature, and this module works them out:

* **module type**, from the file's shape and the module-type table (``ModuleType.saved_predictor``
  and ``extra_outputs``): a top-level ``"signature"`` is a ``dspy.Predict``; a single
  ``"predict"`` predictor with a ``Reasoning:`` field is a ``dspy.ChainOfThought``. Anything
  else (several predictors, a custom ``dspy.Module``) cannot be rebuilt without its Python
  code, and says so (:class:`~dspex_core.errors.CapabilityError`).
* **signature**, first rule that applies: the one the caller gives (it must have as many
  fields as the file); the one dspex wrote into ``metadata.dspex`` when it saved the file
  (plain DSPy ignores that key when loading); else inferred: names from DSPy's default
  descriptions (``${name}``) or default instructions ("Given the fields `a`, produce the
  fields `b`."), the input/output split from those instructions or from where the fields the
  module type adds (``ChainOfThought``'s ``reasoning``) sit. Inferred fields are untyped (``str``), because
  DSPy does not save types: pass a signature such as ``"question -> answer: int"`` to restore
  them. When nothing decides, an :class:`~dspex_core.errors.InputError` says so and why.

Only the standard library is used; ``json`` is imported when a file is read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from dspex_core._module_types import ModuleType, module_type as _row, module_types
from dspex_core._signature import Signature, infer_prefix
from dspex_core.errors import CapabilityError, InputError, SignatureError

__all__ = ["SavedProgram", "read_program", "program_from", "read_json", "detect_module_type", "infer_signature",
           "dspex_metadata", "metadata_for", "portable_signature", "MODULE_TYPES"]

#: The module types a saved single-predictor program can be rebuilt as (those whose table row
#: says where their predictor is saved), plain predictors first.
MODULE_TYPES: tuple[str, ...] = tuple(sorted(
    (name for name, row in module_types().items() if row.saved_predictor is not None),
    key=lambda name: len(module_types()[name].extra_outputs)))

_DEFAULT_DESC = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_DEFAULT_INSTRUCTIONS = re.compile(r"^Given the fields ((?:`\w+`(?:, `\w+`)*)?), produce the fields "
                                   r"((?:`\w+`(?:, `\w+`)*)?)\.$")
_SIGNATURE_HINT = 'pass the signature, e.g. --signature "question, context -> answer" (Python: signature=...)'


class SavedProgram(NamedTuple):
    """A saved program, ready for an implementation's ``load_state(signature, state)``.

    ``state`` is the module's state as DSPy's ``dump_state()`` gives it (no ``metadata``): a
    Predict's dict for ``predict``, ``{"predict": {...}}`` for ``chain_of_thought``.
    ``signature`` is the one ``create`` takes (without the fields the module type adds, such as
    chain_of_thought's ``reasoning``).
    ``signature_source`` is ``"given"``, ``"metadata"`` or ``"inferred"``.
    """

    module_type: str
    signature: Signature
    state: dict[str, Any]
    source: str
    signature_source: str


def read_json(source: Any) -> tuple[dict[str, Any], str]:
    """The saved dict and a name for messages; ``source`` is a path or an already-read dict."""
    if isinstance(source, Mapping):
        return dict(source), "the saved program"
    if not isinstance(source, (str, Path)):
        raise InputError(f"a saved program is a path to a .json file or a dict, got {type(source).__name__}")
    path = Path(source)
    name = str(path)
    if path.suffix == ".pkl":
        raise InputError(f"{name!r} is a pickle; dspex only reads DSPy's JSON state files: save it with "
                         f"program.save('{path.with_suffix('.json').name}')")
    if not path.exists():
        raise InputError(f"cannot load {name!r}: no such file")
    if path.is_dir() and (path / "program.pkl").exists():
        raise InputError(
            f"cannot load {name!r}: it is a directory saved with save_program=True (program.pkl, the whole program "
            f"pickled by cloudpickle), which dspex does not read; save the program's state as JSON instead: "
            f"program.save('{path.name}.json') (save_program=False, DSPy's default), or from that directory, with "
            f"the code that defines the program importable: dspy.load({name!r}, allow_pickle=True)"
            f".save('{path.name}.json')")
    if not path.is_file():
        raise InputError(f"cannot load {name!r}: it is not a file (dspex reads the JSON file module.save('x.json') "
                         f"writes)")
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"cannot load {name!r}: it is not a UTF-8 text file (DSPy saves programs as JSON)") from None
    except ValueError as exc:
        raise InputError(f"cannot load {name!r}: it is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"cannot load {name!r}: a saved program is a JSON object, this file holds a "
                         f"{type(data).__name__}")
    return data, name


def dspex_metadata(data: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata.dspex`` (what dspex records when it saves: module type and signature), or ``{}``."""
    metadata = data.get("metadata")
    found = metadata.get("dspex") if isinstance(metadata, Mapping) else None
    return dict(found) if isinstance(found, Mapping) else {}


def metadata_for(module_type: str, signature: Signature) -> dict[str, Any]:
    """What a backend writes as ``metadata.dspex`` when it saves a module: ``{"module_type",
    "signature"}``, the signature being the one ``create`` takes (without the fields the module
    type adds, such as chain_of_thought's ``reasoning``) as a string with its types. The signature
    is left out when its types do not survive a string (custom classes): loading then infers the
    names. Plain DSPy ignores the key.
    """
    for added in _added_outputs(module_type):
        if added in signature.output_fields:
            signature = signature.delete(added)
    out: dict[str, Any] = {"module_type": module_type}
    text = portable_signature(signature)
    if text is not None:
        out["signature"] = text
    return out


def portable_signature(signature: Signature) -> str | None:
    """``signature`` as a string that parses back to the same names, kinds and types, or ``None``
    (a type that exists only as a Python object). Backends write it as ``metadata.dspex.signature``."""
    text = signature.signature
    try:
        parsed = Signature(text)
    except Exception:
        return None
    def shape(sig: Signature) -> list[tuple[str, str, str]]:
        return [(n, f.kind, f.type_name) for n, f in sig.fields.items()]
    return text if shape(parsed) == shape(signature) else None


def _added_outputs(module_type: str) -> tuple[str, ...]:
    row = _row(module_type)
    return row.extra_outputs if row is not None else ()


def _is_predictor(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("signature"), Mapping)


def _has_fields(predictor: Mapping[str, Any], names: tuple[str, ...]) -> bool:
    """Whether the saved predictor has every field in ``names`` (by DSPy's default prefix or description)."""
    saved = [f for f in _fields(predictor) if isinstance(f, Mapping)]
    return all(any(f.get("prefix") == infer_prefix(name) + ":" or f.get("description") == f"${{{name}}}"
                   for f in saved) for name in names)


def _fields(predictor: Mapping[str, Any]) -> list[Any]:
    fields = predictor["signature"].get("fields")
    return list(fields) if isinstance(fields, list) else []


def _saved_shapes() -> list[ModuleType]:
    return [module_types()[name] for name in MODULE_TYPES]


def detect_module_type(data: Mapping[str, Any], name: str = "the saved program") -> tuple[str, dict[str, Any]]:
    """The module type the file's shape says, and the one predictor's state.

    Raises :class:`CapabilityError` for programs with several predictors (or one under a
    custom attribute name), :class:`InputError` when no predictor state is found at all.
    """
    if _is_predictor(data):
        top = [row for row in _saved_shapes() if row.saved_predictor == ""]
        return top[0].name, {k: v for k, v in data.items() if k != "metadata"}
    predictors = [key for key, value in data.items() if key != "metadata" and _is_predictor(value)]
    if len(predictors) == 1 and len([k for k in data if k != "metadata"]) == 1:
        inner = dict(data[predictors[0]])
        for row in _saved_shapes():
            if row.saved_predictor == predictors[0] and _has_fields(inner, row.extra_outputs):
                return row.name, inner
    if not predictors:
        raise InputError(f"{name} does not look like a saved DSPy program: no predictor state (a 'signature' "
                         f"with 'instructions' and 'fields') was found; keys: {', '.join(map(str, data)) or 'none'}")
    raise CapabilityError(
        f"{name} holds a program with the predictor(s) {', '.join(predictors)}; only single-predictor "
        f"programs (a saved dspy.Predict or dspy.ChainOfThought) run as one module, because DSPy saves "
        f"state, not the Python code that connects several predictors: dspex.load gives each named predictor "
        f"(or one, with predictor=NAME; on the command line --predictor NAME)")


def infer_signature(module_type: str, predictor: Mapping[str, Any], name: str = "the saved program") -> Signature:
    """The signature (str fields) DSPy's defaults in ``predictor``'s state reveal (see module docs)."""
    fields = _fields(predictor)
    instructions = predictor["signature"].get("instructions")
    descs = [f.get("description") if isinstance(f, Mapping) else None for f in fields]
    by_desc = [m.group(1) if isinstance(d, str) and (m := _DEFAULT_DESC.match(d)) else None for d in descs]
    added = list(_added_outputs(module_type))  # the module type's own outputs come first among the outputs
    added_at = next((i for i, n in enumerate(by_desc) if n == added[0]), None) if added else None
    match = _DEFAULT_INSTRUCTIONS.match(instructions.strip()) if isinstance(instructions, str) else None
    if match is not None:
        ins = _names(match.group(1))
        outs = _names(match.group(2))
        names = ins + added + outs
        if len(names) == len(fields) and all(d is None or d == n for d, n in zip(by_desc, names)):
            return _make(ins, outs, name)
    if match is not None and all(by_desc) and len(set(by_desc)) == len(by_desc):
        # A predictor inside a module (a ChainOfThought's ``draft.predict``): the instructions name
        # the module's fields, the saved fields also hold what the module added (``reasoning``),
        # which DSPy puts among the outputs: the named inputs come first, the rest are outputs.
        ins = _names(match.group(1))
        outs = by_desc[len(ins):]
        if by_desc[:len(ins)] == ins and outs and set(_names(match.group(2))) <= set(outs) and not added:
            return _make(ins, outs, name)
    if all(by_desc) and len(set(by_desc)) == len(by_desc):
        if added_at is not None and by_desc[added_at:added_at + len(added)] == added:
            ins, outs = by_desc[:added_at], by_desc[added_at + len(added):]
            if outs and not set(added) & set(ins + outs):
                return _make(ins, outs, name)
        why = "the instructions are not DSPy's default sentence, which is what lists the inputs and outputs"
        raise InputError(f"cannot tell the inputs from the outputs of {name} (fields {', '.join(by_desc)}): {why}, "
                         f"and DSPy does not save the split; {_SIGNATURE_HINT}")
    prefixes = ", ".join(str(f.get("prefix")) if isinstance(f, Mapping) else "?" for f in fields)
    raise InputError(f"cannot tell the field names of {name} (prefixes {prefixes}): DSPy saves names only through "
                     f"default descriptions ('${{name}}') and default instructions, and this program has custom "
                     f"ones; {_SIGNATURE_HINT}")


def _names(text: str) -> list[str]:
    return [part.strip().strip("`") for part in text.split(",")] if text else []


def _make(inputs: list[str], outputs: list[str], name: str) -> Signature:
    if not outputs:
        raise InputError(f"{name} has no output fields to produce; {_SIGNATURE_HINT}")
    try:
        return Signature(f"{', '.join(inputs)} -> {', '.join(outputs)}")
    except SignatureError as exc:
        raise InputError(f"the field names of {name} do not make a signature ({exc}); {_SIGNATURE_HINT}") from None


def _check_count(signature: Signature, module_type: str, predictor: Mapping[str, Any], name: str,
                 origin: str) -> None:
    fields = _fields(predictor)
    added = _added_outputs(module_type)
    expected = len(signature.fields) + len(added)
    if expected != len(fields):
        saved = ", ".join(str(f.get("prefix")) if isinstance(f, Mapping) else "?" for f in fields)
        extra = f" ({expected} with {module_type}'s {', '.join(added)})" if added else ""
        raise InputError(f"the signature {signature.signature!r} ({origin}) has {len(signature.fields)} field(s)"
                         f"{extra}, but {name} saved {len(fields)} ({saved}); give a signature with the same "
                         f"fields in the same order")
    _check_names(signature, module_type, predictor, name, origin)


def saved_names(predictor: Mapping[str, Any]) -> list[str | None]:
    """The field names the saved predictor reveals, in its field order (``None`` where it does not
    say). A position's name is known when two of DSPy's defaults agree on it: the prefix
    (``Question:`` for ``question``) and either the description (``${question}``) or the default
    instructions ("Given the fields `question`, ...", inputs first, then outputs). One alone is
    not enough: an author may write a description or a prefix of their own (COPRO rewrites the
    last output's prefix)."""
    fields = [f if isinstance(f, Mapping) else {} for f in _fields(predictor)]
    from_instructions: list[str | None] = [None] * len(fields)
    instructions = predictor["signature"].get("instructions")
    match = _DEFAULT_INSTRUCTIONS.match(instructions.strip()) if isinstance(instructions, str) else None
    if match is not None:
        ins, outs = _names(match.group(1)), _names(match.group(2))
        for index, named in enumerate(ins[:len(fields)]):
            from_instructions[index] = named
        for offset, named in enumerate(reversed(outs), 1):
            if offset <= len(fields) and from_instructions[-offset] is None:
                from_instructions[-offset] = named
    names: list[str | None] = []
    for field, listed in zip(fields, from_instructions):
        desc = field.get("description")
        found = _DEFAULT_DESC.match(desc) if isinstance(desc, str) else None
        candidates = [n for n in (found.group(1) if found else None, listed) if n is not None]
        names.append(next((n for n in candidates if field.get("prefix") == infer_prefix(n) + ":"), None))
    return names


def _check_names(signature: Signature, module_type: str, predictor: Mapping[str, Any], name: str,
                 origin: str) -> None:
    """A signature whose field names are not the ones the saved program reveals is the caller's
    mistake: loading it would keep the saved descriptions and instructions of other fields (DSPy
    applies saved state by position), so the prompt would describe fields that do not exist."""
    added = list(_added_outputs(module_type))
    mine = [*signature.input_fields, *added, *signature.output_fields]
    saved = saved_names(predictor)
    if all(s is None or s == m for s, m in zip(saved, mine)):
        return
    shown = ", ".join(s if s is not None else "?" for s in saved)
    wanted = [s if s is not None else m for s, m in zip(saved, mine)]
    ins = wanted[:len(signature.input_fields)]
    outs = [n for n in wanted[len(signature.input_fields):] if n not in added]
    typed = [f"{n}: {f.type_name}" if f.type_given else n for n, f in zip(ins + outs, signature.fields.values())]
    suggestion = f"{', '.join(typed[:len(ins)])} -> {', '.join(typed[len(ins):])}"
    raise InputError(f"the signature {signature.signature!r} ({origin}) names the fields {', '.join(mine)}, but "
                     f"{name} saved the fields {shown} (by DSPy's default prefixes, descriptions and instructions); "
                     f"DSPy applies saved state by position, so the prompt would describe other fields: give the "
                     f"saved names, e.g. {suggestion!r}")


def _coerce(signature: Any, origin: str) -> Signature:
    try:
        return Signature.coerce(signature)
    except SignatureError as exc:
        raise SignatureError(f"{origin}: {exc}", spec=getattr(exc, "spec", None),
                             position=getattr(exc, "position", None), rule=getattr(exc, "rule", "")) from None


def read_program(source: Any, *, module_type: str | None = None, signature: Any = None) -> SavedProgram:
    """Read a saved program and decide its module type and signature (see the module docstring).

    ``module_type`` overrides the shape's verdict for a single-predictor file (``"predict"``
    runs a ChainOfThought's predictor as a plain Predict, with ``reasoning`` an output);
    ``signature`` (a string or :class:`Signature`) overrides the saved or inferred one.
    """
    data, name = read_json(source)
    return program_from(data, name, module_type=module_type, signature=signature)


def program_from(data: Mapping[str, Any], name: str, *, module_type: str | None = None,
                 signature: Any = None) -> SavedProgram:
    """:func:`read_program` of an already-read dict; ``name`` names it in messages."""
    if module_type is not None and module_type not in MODULE_TYPES:
        raise InputError(f"saved programs run as {' or '.join(MODULE_TYPES)}, not {module_type!r}")
    try:
        detected, predictor = detect_module_type(data, name)
    except CapabilityError:
        predictors = [k for k, v in data.items() if k != "metadata" and _is_predictor(v)]
        if module_type is None or len(predictors) != 1:
            raise
        detected, predictor = module_type, dict(data[predictors[0]])
    added = _added_outputs(module_type) if module_type is not None else ()
    if added and not _has_fields(predictor, added):
        fields = ", ".join(infer_prefix(a) for a in added)
        raise InputError(f"{name} cannot run as {module_type}: its predictor has no {fields} field")
    detected = module_type or detected
    meta = dspex_metadata(data)
    if signature is not None:
        sig, origin = _coerce(signature, "the given signature"), "given"
    elif isinstance(meta.get("signature"), str) and meta.get("module_type", detected) == detected:
        sig, origin = _coerce(meta["signature"], f"metadata.dspex.signature of {name}"), "metadata"
    else:
        sig, origin = infer_signature(detected, predictor, name), "inferred"
    _check_count(sig, detected, predictor, name, {"given": "given", "metadata": "from metadata.dspex",
                                                   "inferred": "inferred"}[origin])
    where = module_types()[detected].saved_predictor
    state = {where: predictor} if where else predictor
    return SavedProgram(detected, sig, state, name, origin)
