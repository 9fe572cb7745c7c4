"""DSPy's adapter API and types on the layer, without dspy installed.

The whole adapters_api program is compared with real dspy in tests/parity/test_compat_programs.py;
here the layer runs it alone, and the parts of the API a program builds on are checked directly.
"""

import json
import subprocess
import sys

import pytest


def test_the_adapter_api_program_runs_on_the_layer(run):
    done = run("adapters_api")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    chat = out["ChatAdapter"]
    assert chat["system"] == "\n".join(chat["parts"]) == chat["format"][0]["content"]
    assert chat["format"][-1]["content"] == chat["user_request"].removeprefix("Before.\n\n").removesuffix("\n\nAfter.")
    assert chat["demos"] == chat["format"][1:-1]
    assert chat["parse"] == {"label": "negative", "score": 0.25, "tags": ["x"]}
    assert chat["parse_error"] == ["AdapterParseError", "ChatAdapter", "no fields here"]
    assert out["JSONAdapter"]["parse"] == out["XMLAdapter"]["parse"] == chat["parse"]
    assert out["custom"][0]["content"].endswith("Task: Classify the text and rate it.")
    assert out["two_step"]["result"] == {"label": "negative", "score": 0.3, "tags": ["t"]}
    assert out["two_step"]["main"][0][1]["content"] == 'text: awful & bad <really>\n\nhints: [\'one\', \'two\']'
    parts = out["image"]["messages"][1]["content"]
    assert {"type": "image_url", "image_url": {"url": "https://example.com/dog.jpg"}} in parts
    assert out["types"]["extract"] == ["Image"]
    files, no_file, audio, json_file = out["media"]
    assert [p["type"] for p in files[1]["content"] if p["type"] != "text"] == ["file", "file"]
    assert {"type": "file", "file": {"file_id": "file-123"}} in files[1]["content"]
    assert isinstance(no_file[1]["content"], str)
    assert {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}} in audio[1]["content"]
    assert json_file[1]["content"][1]["type"] == "file"
    assert out["tool"]["call"] == "Paris: sunny, 2 days in C"
    assert out["tool"]["refused"] == "Arg days is invalid"
    assert str(out["tool"]["str"]) in out["tool"]["messages"][1]["content"]


def test_importing_dspy_loads_no_pydantic_until_a_type_is_read():
    code = ("import sys, dspy; before = 'pydantic' in sys.modules; dspy.ChatAdapter(); dspy.TwoStepAdapter;"
            "image = dspy.Image('https://example.com/a.png');"
            "print(before, 'pydantic' in sys.modules, type(image).__module__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "dspy.adapters.types.image"]


def test_a_subclass_that_redefines_a_piece_runs_its_own_call_loop():
    import dspy
    from dspy.utils import DummyLM

    class Plain(dspy.ChatAdapter):
        def format_task_description(self, signature):
            return "Do it."

    lm = DummyLM([{"answer": "4"}])
    with dspy.context(lm=lm, adapter=Plain()):
        result = dspy.Predict("question -> answer: int")(question="2+2?")
    assert result.answer == 4
    assert lm.history[-1]["messages"][0]["content"].endswith("\nDo it.")


def test_the_types_validate_as_dspy_does():
    import pydantic

    import dspy
    from dspy.experimental import Citations, Document

    with pytest.raises(ValueError, match="Local files must be loaded with Image.from_path"):
        dspy.Image("/etc/passwd")
    with pytest.raises(TypeError, match="only valid with a positional image source"):
        pydantic.TypeAdapter(dspy.Image).validate_python({"url": "http://x.example/a.png", "download": True})
    assert dspy.Audio("data:audio/x-wav;base64,AA==").audio_format == "wav"
    assert dspy.File(b"x").file_data == "data:application/octet-stream;base64,eA=="
    assert Document(data="text").format()[0]["source"] == {"type": "text", "media_type": "text/plain",
                                                           "data": "text"}
    cited = Citations.parse_lm_response({"citations": [{"cited_text": "a", "document_index": 0,
                                                        "start_char_index": 0, "end_char_index": 1}]})
    assert [c.cited_text for c in cited] == ["a"]
    assert dspy.Reasoning(content="abc").upper() == "ABC"
