"""``dspex.Image`` and how native sends an image input: an ``image_url`` content part in place."""

from __future__ import annotations

import base64
import http.server
import threading

import pytest

import dspex_core as dspex
from dspex_core import CapabilityError, InputError
from dspex_core.testing import RecordingLM

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")
REPLY = "[[ ## answer ## ]]\nA dot.\n\n[[ ## completed ## ]]"


def test_an_image_is_a_url_or_a_data_uri():
    assert dspex.Image("https://example.com/a.png").url == "https://example.com/a.png"
    assert dspex.Image(url="gs://bucket/a.png") == dspex.Image({"url": "gs://bucket/a.png"})
    data = dspex.Image("data:image/png;base64,AAAA")
    assert repr(data) == "Image(url=data:image/png;base64,<IMAGE_BASE_64_ENCODED(4)>)"
    assert str(data) == ('<<CUSTOM-TYPE-START-IDENTIFIER>>[{"type": "image_url", "image_url": '
                         '{"url": "data:image/png;base64,AAAA"}}]<<CUSTOM-TYPE-END-IDENTIFIER>>')
    with pytest.raises(InputError, match="Unrecognized image string.*from_file"):
        dspex.Image("cat.png")
    with pytest.raises(InputError, match="does not decode image bytes"):
        dspex.Image(PNG)
    with pytest.raises(InputError, match="both"):
        dspex.Image("https://example.com/a.png", url="https://example.com/b.png")
    with pytest.raises(AttributeError, match="frozen"):
        data.url = "x"


def test_from_file_reads_a_data_uri(tmp_path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    assert dspex.Image.from_file(str(path)).url == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert dspex.Image.from_path(str(path)) == dspex.Image.from_file(str(path))
    with pytest.raises(InputError, match="File not found"):
        dspex.Image.from_file(str(tmp_path / "missing.png"))


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


def test_from_url_keeps_the_url_unless_asked_to_download():
    assert dspex.Image.from_url("https://example.com/a.png").url == "https://example.com/a.png"
    with pytest.raises(InputError, match="HTTP"):
        dspex.Image.from_url("gs://bucket/a.png")
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        image = dspex.Image.from_url(f"http://127.0.0.1:{server.server_port}/dot", download=True)
    finally:
        server.shutdown()
        server.server_close()
    assert image.url == "data:image/png;base64," + base64.b64encode(PNG).decode()


class Look(dspex.Signature):
    question: str = dspex.InputField()
    picture: dspex.Image = dspex.InputField()
    answer: str = dspex.OutputField()


def test_the_request_splits_around_the_image():
    lm = RecordingLM([REPLY])
    pred = dspex.create("predict", Look, implementation="native", lm=lm)(
        question="What?", picture=dspex.Image("https://example.com/a.png"))
    assert pred.answer == "A dot."
    system, user = lm.calls[0].messages
    assert "2. `picture` (Image):" in system["content"]
    assert user["content"][:2] == [{"type": "text", "text": "[[ ## question ## ]]\nWhat?\n\n[[ ## picture ## ]]\n"},
                                   {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]


def test_image_outputs_and_other_containers_of_images_are_not_native():
    class Draw(dspex.Signature):
        question: str = dspex.InputField()
        picture: dspex.Image = dspex.OutputField()

    class Album(dspex.Signature):
        pictures: dict[str, dspex.Image] = dspex.InputField()
        answer: str = dspex.OutputField()

    for signature in (Draw, Album):
        with pytest.raises(CapabilityError, match="Image"):
            dspex.create("predict", signature, implementation="native")
