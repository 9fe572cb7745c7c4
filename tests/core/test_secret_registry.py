"""The one redactor knows every secret a live LM will send, and is applied where dspex does not
own the output: log records of the LM libraries and prints of code it runs.

``redact(text)`` hides, without being told: an ``LM``'s ``api_key``, its header values, its base
URL's credentials in every form (as written, decoded, the password alone, the Basic token), and
the provider's key variable as it is now; and forgets an LM's secrets when the LM is gone.
"""

from __future__ import annotations

import base64
import gc
import io
import logging
import sys

import pytest
from dspex_core import LM
from dspex_core._credentials import header_secrets, settings_secrets
from dspex_core._log_redaction import install
from dspex_core._print_redaction import redacted_prints
from dspex_core._redact import HIDDEN, redact

KEY = "tok_core_test_5f4e3d2c"  # not used by other test files, whose LMs' clients may still live


def test_an_lms_key_headers_and_url_credentials_are_hidden_while_it_lives():
    lm = LM("openai/m", api_key=KEY, api_base="http://alice:p%40ss-w0rd@host/v1",
            extra_headers={"X-Api-Key": "hdr-secret-1", "X-Trace": "on"}, headers={"Cookie": "sess=abc123"})
    basic = base64.b64encode(b"alice:p@ss-w0rd").decode()
    text = f"{KEY} | hdr-secret-1 | sess=abc123 | alice:p%40ss-w0rd | p@ss-w0rd | {basic} | trace on"
    out = redact(text, limit=None)
    for secret in (KEY, "hdr-secret-1", "sess=abc123", "p%40ss-w0rd", "p@ss-w0rd", basic):
        assert secret not in out
    assert out.endswith("| trace on")  # a short value of a header that is not a credential stays
    del lm
    gc.collect()
    assert redact(KEY, limit=None) == KEY  # forgotten with the LM: keys of gone LMs do not pile up


def test_a_provider_key_in_the_environment_is_hidden_as_it_is_now(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "first-key-0001")
    assert redact("echo first-key-0001", limit=None) == f"echo {HIDDEN}"
    monkeypatch.setenv("OPENAI_API_KEY", "rotated-key-0002")
    assert redact("echo rotated-key-0002", limit=None) == f"echo {HIDDEN}"


def test_the_key_variable_of_a_provider_the_tables_do_not_list_is_watched_once_an_lm_uses_it(monkeypatch):
    monkeypatch.setenv("ZEPHYRCLOUD_API_KEY", "zc-key-998877")
    assert "zc-key-998877" in redact("zc-key-998877", limit=None)
    LM("zephyrcloud/m")
    assert "zc-key-998877" not in redact("zc-key-998877", limit=None)


def test_values_too_short_to_hide_are_left_alone():
    lm = LM("openai/m", api_key="x", api_base="http://127.0.0.1:9/v1")
    assert redact("xyz example", limit=None) == "xyz example"
    assert settings_secrets({"api_key": "abc"}) == ()
    del lm


def test_header_secrets_take_auth_headers_tokens_and_basic_credentials():
    basic = base64.b64encode(b"bob:hunter22").decode()
    found = header_secrets({"Authorization": f"Basic {basic}", "X-Api-Key": "k123", "X-Token": "bearer tkn-9",
                            "Accept": "json", "X-Long-Value": "a-long-header-value"})
    assert {f"Basic {basic}", basic, "bob:hunter22", "hunter22", "k123", "tkn-9", "a-long-header-value"} <= set(found)
    assert "json" not in found


def test_public_settings_drop_url_credentials():
    lm = LM("openai/m", api_base="http://u:pw-secret@host/v1", api_key=KEY, temperature=0.1)
    assert lm.public_settings() == {"api_base": "http://host/v1", "temperature": 0.1}


# -- log records ------------------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def collect():
    """Every record at DEBUG of the loggers these tests use (LiteLLM, once imported, sets httpx's
    level to WARNING)."""
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    loggers = [root, *(logging.getLogger(name) for name in ("httpx", "httpcore", "dspy", "LiteLLM", "my_app"))]
    levels = [(lg, lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.propagate = True
    yield handler
    root.removeHandler(handler)
    for lg, level, propagate in levels:
        lg.setLevel(level)
        lg.propagate = propagate


def test_records_of_the_lm_libraries_and_their_children_are_redacted(collect):
    lm = LM("openai/m", api_key=KEY)
    logging.getLogger("httpx").info("HTTP Request: POST %s %s", "http://u:pw-1234@h/v1", KEY)
    logging.getLogger("dspy.evaluate.some_new_module").warning("failed: %s", f"echo {KEY}")
    try:
        raise RuntimeError(f"provider said {KEY}")
    except RuntimeError:
        logging.getLogger("LiteLLM").debug("error body", exc_info=True)
    logging.getLogger("my_app").info("app line %s", "http://u:pw-1234@h/v1")
    text = "\n".join(collect.lines)
    assert KEY not in text and "pw-1234@h" in collect.lines[-1]  # another library's record is its own
    assert "provider said <hidden>" in text and "http://h/v1" in text
    del lm


def test_a_record_without_a_secret_is_left_as_it_was():
    install()
    record = logging.getLogger("httpx").makeRecord("httpx", logging.INFO, __file__, 1, "sent %s", ("x",), None)
    assert (record.msg, record.args) == ("sent %s", ("x",))


def test_redaction_comes_back_when_the_record_factory_is_replaced(collect):
    original = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    try:
        lm = LM("openai/m", api_key=KEY)  # the next LM installs it again
        logging.getLogger("httpcore.http11").debug("headers %s", KEY)
        assert KEY not in collect.lines[-1]
        del lm
    finally:
        logging.setLogRecordFactory(original)


# -- prints -----------------------------------------------------------------------------------------

def test_prints_inside_redacted_prints_are_redacted_and_the_streams_restored(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    lm = LM("openai/m", api_key=KEY)
    with redacted_prints():
        with redacted_prints():  # nested and concurrent users share one wrapper
            print(f"Attempt 1 failed: {KEY}")
        print(f"Attempt 2 failed: {KEY}")
    print(f"after: {KEY}")
    assert sys.stdout is out
    assert out.getvalue().splitlines() == ["Attempt 1 failed: <hidden>", "Attempt 2 failed: <hidden>", f"after: {KEY}"]
    del lm
