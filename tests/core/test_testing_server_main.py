"""``python -m dspex_core.testing.server``: the local LM server started from a shell, until Ctrl-C.

It answers with the offline LM (any signature) or ``--reply``, takes faults for its first
requests (``--fail STATUSxTIMES``, ``--drop N``), prints the URL to pass as ``api_base=``, and
reports a bad option in one line with exit status 2, as every ``dspex`` command does.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

CHAT_REQUEST = {"model": "local", "messages": [
    {"role": "system", "content": "Your input fields are:\n1. `question` (str)\nYour output fields are:\n"
                                  "1. `answer` (str)"},
    {"role": "user", "content": "[[ ## question ## ]]\nWhat is DSPy?\n\nRespond with the corresponding output "
                                "fields, starting with the field `[[ ## answer ## ]]`, and then ending with the "
                                "marker for `[[ ## completed ## ]]`."}]}


def post(url: str) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/chat/completions", data=json.dumps(CHAT_REQUEST).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_it_serves_the_offline_lm_after_the_faults_asked_for_until_interrupted():
    server = subprocess.Popen([sys.executable, "-m", "dspex_core.testing.server", "--fail", "503x2", "--fail", "429"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        found = re.match(r"serving an OpenAI-compatible LM at (http://127\.0\.0\.1:\d+/v1) ", line)
        assert found, line + server.stderr.read()
        statuses = [post(found.group(1))[0] for _ in range(3)]
        status, body = post(found.group(1))
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=60)
    assert statuses == [503, 503, 429]
    assert status == 200
    reply = body["choices"][0]["message"]["content"]
    assert reply.startswith("[[ ## answer ## ]]\n") and reply.rstrip().endswith("[[ ## completed ## ]]")
    assert code == 130  # interrupted, as every dspex command reports Ctrl-C


def test_a_bad_option_is_one_line_and_exit_status_2():
    for args, said in ((["--fail", "abc"], "--fail takes STATUS or STATUSxTIMES"),
                       (["--fail", "200"], "HTTP error status"),
                       (["--port", "70000"], "--port must be 0-65535")):
        done = subprocess.run([sys.executable, "-m", "dspex_core.testing.server", *args], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert done.stdout == "" and done.stderr.count("\n") == 1
        assert done.stderr.startswith("dspex testing.server: error: InputError: ") and said in done.stderr
