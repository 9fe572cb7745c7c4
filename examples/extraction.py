"""Extraction to structured outputs: typed fields and a pydantic model, natively.

Shows two ways to get structure back from text. Typed output fields (``list[str]``,
``dict[str, str]``, ``int``) are parsed by the native backend into Python values. A pydantic
model as an output field is served natively too: its JSON schema goes into the prompt as DSPy
writes it, and the reply is validated by pydantic into a real ``pydantic`` object. That half
needs pydantic installed (dspex-native does not depend on it; dspy brings it) and is skipped,
saying so, without it.

    python examples/extraction.py [--lm openai/gpt-4o-mini]
"""

import dspex_core as dspex
from _common import setup, short

TEXT = ("Ada Lovelace, 36, wrote the first published algorithm for Charles Babbage's Analytical "
        "Engine in London; she worked with Babbage and Mary Somerville.")


class ExtractFacts(dspex.Signature):
    """Extract the facts stated in the text."""

    text: str = dspex.InputField()
    people: list[str] = dspex.OutputField(desc="every person named")
    attributes: dict[str, str] = dspex.OutputField(desc="attribute -> value for the main person")
    year_count: int = dspex.OutputField(desc="how many years are mentioned")


def person_signature() -> type[dspex.Signature]:
    """A signature whose output is a pydantic model."""
    import pydantic

    class Person(pydantic.BaseModel):
        name: str
        age: int
        city: str

    class ExtractPerson(dspex.Signature):
        """Extract the main person described in the text."""

        text: str = dspex.InputField()
        person: Person = dspex.OutputField()

    return ExtractPerson


def main() -> None:
    setup(__doc__.splitlines()[0])
    facts = dspex.Predict.create(ExtractFacts)
    pred = facts(text=TEXT)
    print(f"typed fields ({facts.backend}): people = {pred.people} ({type(pred.people).__name__})")
    print(f"typed fields ({facts.backend}): attributes = {short(pred.attributes, 70)} "
          f"({type(pred.attributes).__name__}), year_count = {pred.year_count!r}")
    from importlib.util import find_spec

    if find_spec("pydantic") is None:
        print("pydantic model: skipped (needs pydantic: pip install pydantic)")
        return
    person = dspex.Predict.create(person_signature())
    result = person(text=TEXT).person
    print(f"pydantic model ({person.backend}): {type(result).__name__}({short(result, 70)})")


if __name__ == "__main__":
    main()
