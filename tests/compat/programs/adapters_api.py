"""DSPy's adapter API used directly, as programs and custom adapters use it: format, parse, the
pieces of a prompt, a TwoStepAdapter predictor, an image input and DSPy's types."""

import json
import sys
from typing import Literal, Optional  # noqa: F401 - Optional is named in a string signature

import pydantic

import dspy
from dspy.utils import DummyLM


class Classify(dspy.Signature):
    """Classify the text and rate it."""

    text: str = dspy.InputField(desc="what to classify")
    hints: list[str] = dspy.InputField()
    label: str = dspy.OutputField()
    score: float = dspy.OutputField(desc="between 0 and 1")
    tags: list[str] = dspy.OutputField()


demos = [
    dspy.Example(text="great", hints=["short"], label="positive", score=0.9, tags=["a"]),
    {"text": "meh", "hints": [], "label": "neutral"},
]
inputs = {"text": "awful & bad <really>", "hints": ["one", "two"]}
outputs = {"label": "negative", "score": 0.1, "tags": ["x", "y"]}
replies = {
    "ChatAdapter": "[[ ## label ## ]]\nnegative\n\n[[ ## score ## ]]\n0.25\n\n[[ ## tags ## ]]\n[\"x\"]\n\n"
                   "[[ ## completed ## ]]",
    "JSONAdapter": '{"label": "negative", "score": 0.25, "tags": ["x"]}',
    "XMLAdapter": "<label>\nnegative\n</label>\n\n<score>\n0.25\n</score>\n\n<tags>\n[\"x\"]\n</tags>",
}

report = {}
for adapter in (dspy.ChatAdapter(), dspy.JSONAdapter(), dspy.XMLAdapter()):
    name = type(adapter).__name__
    try:
        adapter.parse(Classify, "no fields here")
        failed = None
    except dspy.AdapterParseError as exc:
        failed = [type(exc).__name__, exc.adapter_name, exc.lm_response]
    report[name] = {
        "format": adapter.format(Classify, demos, inputs),
        "system": adapter.format_system_message(Classify),
        "parts": [adapter.format_field_description(Classify), adapter.format_field_structure(Classify),
                  adapter.format_task_description(Classify)],
        "user": adapter.format_user_message_content(Classify, inputs),
        "user_request": adapter.format_user_message_content(Classify, inputs, prefix="Before.", suffix="After.",
                                                            main_request=True),
        "user_partial": adapter.format_user_message_content(Classify, {"text": "only text"}),
        "assistant": adapter.format_assistant_message_content(Classify, outputs),
        "assistant_missing": adapter.format_assistant_message_content(Classify, {"label": "x"},
                                                                      missing_field_message="Not given."),
        "demos": adapter.format_demos(Classify, demos),
        "parse": adapter.parse(Classify, replies[name]),
        "parse_error": failed,
    }



class Chat(dspy.Signature):
    question: str = dspy.InputField()
    history: dspy.History = dspy.InputField()
    answer: str = dspy.OutputField()


history = dspy.History(messages=[{"question": "hi", "answer": "hello"}, {"question": "2+2", "answer": "4"}])
images = [{"image": dspy.Image("https://example.com/a.png"), "caption": "c"}]
for adapter in (dspy.ChatAdapter(), dspy.JSONAdapter(), dspy.XMLAdapter()):
    report[type(adapter).__name__].update({
        "history": adapter.format(Chat, [], {"question": "q", "history": history}),
        "missing_input": adapter.format(dspy.Signature("a, b -> c"), [], {"a": "x"}),
        "assistant_none": adapter.format_assistant_message_content(dspy.Signature("a -> b, c"), {"b": None}),
        "image_demo": adapter.format(dspy.Signature("image: dspy.Image -> caption"), images,
                                     {"image": dspy.Image("https://example.com/b.png")}),
    })


class Numbered(dspy.ChatAdapter):
    """A program's own adapter: DSPy composes its pieces."""

    def format_task_description(self, signature):
        return f"Task: {signature.instructions}"


report["custom"] = Numbered().format(Classify, [], inputs)

# a predictor whose adapter is a TwoStepAdapter: the main LM answers freely, DummyLM extracts
main = DummyLM([{"label": "free text"}])
extractor = DummyLM([{"label": "negative", "score": "0.3", "tags": '["t"]'}])
with dspy.context(lm=main, adapter=dspy.TwoStepAdapter(extractor)):
    two_step = dspy.Predict(Classify)(**inputs)
report["two_step"] = {"result": dict(two_step), "main": [e["messages"] for e in main.history],
                      "extractor": [e["messages"] for e in extractor.history]}

# an image input is sent as content parts
lm = DummyLM([{"caption": "a dog"}])
with dspy.context(lm=lm):
    caption = dspy.Predict("image: dspy.Image -> caption: str")(image=dspy.Image("https://example.com/dog.jpg"))
report["image"] = {"caption": caption.caption, "messages": lm.history[-1]["messages"],
                   "format": dspy.ChatAdapter().format(dspy.Signature("image: dspy.Image -> caption"), [],
                                                       {"image": dspy.Image("data:image/png;base64,AAAA")})}

# files and audio are sent as content parts too (also inside a list, and left out when None)
media = [dspy.File.from_bytes(b"%PDF-1.4", filename="a.pdf", mime_type="application/pdf"),
         dspy.File.from_file_id("file-123")]
lm = DummyLM([{"summary": "two files"}, {"summary": "no file"}, {"text": "hello"}])
json_lm = DummyLM([{"summary": "json"}], adapter=dspy.JSONAdapter())
with dspy.context(lm=lm):
    dspy.Predict("documents: list[dspy.File] -> summary")(documents=media)
    dspy.Predict("document: Optional[dspy.File], note: str -> summary")(document=None, note="n")
    dspy.Predict("clip: dspy.Audio -> text")(clip=dspy.Audio(b"RIFF", audio_format="wav"))
with dspy.context(lm=json_lm, adapter=dspy.JSONAdapter()):
    dspy.Predict("document: dspy.File -> summary")(document=media[0])
report["media"] = [entry["messages"] for entry in lm.history + json_lm.history]

report["types"] = {
    "code": [dspy.Code(code="```python\nprint(1)\n```").code, dspy.Code["java"].description()],
    "reasoning": [str(dspy.Reasoning(content="because")), dspy.Reasoning(content="a") + "b"],
    "image": [str(dspy.Image("https://example.com/a.png")), repr(dspy.Image("data:image/png;base64,AAAA"))],
    "audio": [dspy.Audio(b"123", audio_format="wav").format(), repr(dspy.Audio(data="AA==", audio_format="mp3"))],
    "file": [dspy.File(b"abc").format(), repr(dspy.File.from_file_id("f-1", filename="a.pdf"))],
    "extract": [t.__name__ for t in dspy.Type.extract_custom_type_from_annotation(list[dict[str, dspy.Image]])],
}


class Place(pydantic.BaseModel):
    city: str
    country: str = "FR"


def weather(place: Place, unit: Literal["C", "F"] = "C", days: int = 1) -> str:
    """Get the weather for a place."""
    return f"{place.city}: sunny, {days} days in {unit}"


tool = dspy.Tool(weather, arg_desc={"days": "how many days"})
try:
    tool(place={"city": "Paris"}, days="many")
    refused = None
except ValueError as exc:
    refused = str(exc).split(":")[0]
lm = DummyLM([{"answer": "ok"}])
with dspy.context(lm=lm):
    dspy.Predict("question, tools: list[dspy.Tool] -> answer")(question="q", tools=[tool])
report["tool"] = {"str": str(tool), "function": tool.format_as_litellm_function_call(), "refused": refused,
                  "call": tool(place={"city": "Paris"}, days=2), "messages": lm.history[-1]["messages"]}
from dspy.adapters.utils import get_annotation_name, parse_value, translate_field_type  # noqa: E402

report["utils"] = {
    "parse": [parse_value("[1, 2]", list[int]), parse_value("'b'", __import__("typing").Literal["a", "b"]),
              parse_value("7", int | None)],
    "names": [get_annotation_name(list[dict[str, int]]), get_annotation_name(int | None)],
    "notes": [translate_field_type(n, f) for n, f in Classify.fields.items()],
}
print(json.dumps(report, default=repr))
