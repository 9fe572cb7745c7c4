"""Credential redaction shared by every backend (dspex_core._redact).

Whatever text crosses from an LM client into a dspex error goes through ``redact``; these
tests pin what it masks (given secrets, key settings in the usual spellings, bearer tokens,
``sk-`` keys, URL userinfo) and what it leaves readable.
"""

from __future__ import annotations

import string

import pytest
from dspex_core._redact import HIDDEN, redact, strip_credentials, url_credentials
from hypothesis import given
from hypothesis import strategies as st

KEY_CHARS = string.ascii_letters + string.digits + "_-."
keys = st.text(KEY_CHARS, min_size=8, max_size=40)

SETTING_SHAPES = [
    "api_key={k}",
    "api_key = {k}",
    "api-key: {k}",
    'API_KEY="{k}"',
    '{{"api_key": "{k}"}}',
    "{{'api_key': '{k}'}}",
    "x-api-key:{k}",
    "Authorization: Bearer {k}",
]


@given(key=keys, shape=st.sampled_from(SETTING_SHAPES), before=st.text(max_size=20), after=st.text(max_size=20))
def test_key_settings_and_bearer_tokens_are_masked_without_being_told_the_key(key, shape, before, after):
    text = before + " " + shape.format(k=key) + " " + after
    out = redact(text, limit=None)
    assert key not in out or key in before or key in after
    assert HIDDEN in out


@given(key=keys, text=st.text(max_size=60))
def test_a_given_secret_never_survives(key, text):
    out = redact(f"{text}{key}{text}", key, limit=None)
    assert key not in out


def test_sk_keys_are_masked_anywhere():
    assert redact("Incorrect API key provided: sk-proj-abc123XYZ (401)") == (
        f"Incorrect API key provided: {HIDDEN} (401)")


def test_prose_about_a_key_stays_readable():
    text = "credential came from: an explicit api_key (value never shown)"
    assert redact(text) == text


def test_a_hint_about_where_a_key_goes_stays_readable():
    """dspy's advice when no key is found: its placeholders and words are no key (none is 4+ characters)."""
    hint = ('no API key found. Set OPENAI_API_KEY in the environment, or pass api_key="..." to dspy.LM(...).\n'
            "  - Pass the key explicitly (api_key= on dspy.LM), or set OPENAI_API_KEY=...")
    assert redact(hint, limit=None) == hint
    assert redact("api_key= sk-live-abcdefgh", limit=None) == f"api_key= {HIDDEN}"


def test_url_userinfo_is_dropped_and_reported():
    url = "http://user:s3cret@127.0.0.1:8000/v1"
    assert url_credentials(url) == "user:s3cret"
    assert strip_credentials(url) == "http://127.0.0.1:8000/v1"
    assert "s3cret" not in redact(f"cannot connect to {url}")
    assert url_credentials("http://127.0.0.1:8000/v1") is None


@pytest.mark.parametrize("limit, expected", [(5, "abcde..."), (None, "abcdefgh"), (8, "abcdefgh")])
def test_limit_cuts_long_text(limit, expected):
    assert redact("abcdefgh", limit=limit) == expected
