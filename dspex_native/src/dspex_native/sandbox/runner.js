// dspex-native's sandbox runner: CPython (Pyodide, compiled to WebAssembly) inside Deno.
//
// Started by dspex_native/sandbox/process.py as
//   deno run --no-prompt ... --allow-read=<Pyodide's package folder> runner.js
// with no other permission: no network, no environment, no writes, no subprocesses. Once
// Pyodide is loaded the read permission is revoked too, so the code it runs reaches nothing
// outside its in-memory file system. The host speaks one JSON object per line:
//   host   -> runner  {"id": "...", "code": "..."}   run this code
//   runner -> host    {"ready": true}                 once, when Pyodide is loaded
//                     {"id": "...", "output": v}      the code ran: its last expression's
//                                                     value, else what it printed
//                     {"id": "...", "final": v}       the code called SUBMIT(...)
//                     {"id": "...", "error": {"type", "message", "args"}}
//                                                     the code raised; the session lives on
//                     {"id": "...", "fatal": "..."}   the error could not be reported; the
//                                                     host ends the session
// Closing stdin ends the runner. Lines on stdout that are not answers to the pending
// request (Pyodide's package messages, or sandboxed code writing to the real stdout) are
// ignored by the host.
//
// What the code sees and what comes back follow DSPy 3.4's PythonInterpreter exactly, since
// ProgramOfThought's prompts quote them: the same module-level names (SUBMIT and the helpers
// below), the same conversion of the result (Pyodide's toJs, then JSON), the same error type,
// message and arguments. docs/module-types.md (program_of_thought) lists the few differences.

import { loadPyodide } from "npm:pyodide@0.29.4";

// Taken before any sandboxed code runs, so that code cannot replace them.
const toJSON = JSON.stringify;
const fromJSON = JSON.parse;
const encoder = new TextEncoder();
const writeOut = Deno.stdout.writeSync.bind(Deno.stdout);

// Each message starts on a line of its own, even after code wrote a partial line to the real stdout.
function send(line) {
  const bytes = encoder.encode("\n" + line + "\n");
  let written = 0;
  while (written < bytes.length) written += writeOut(bytes.subarray(written));
}

// Run before every execution. The names are part of what the code sees: `json`, `sys` and
// `io` are imported for it, prints go to `buf_stdout`, and SUBMIT(value) ends the code with
// `{"output": value}` as its result (through the `_DSPyFinalOutput` exception, whose name is
// visible to code that catches BaseException). A SUBMIT the code defined itself is kept.
const PRELUDE = `
import sys, io, json
old_stdout, old_stderr = sys.stdout, sys.stderr
buf_stdout, buf_stderr = io.StringIO(), io.StringIO()
sys.stdout, sys.stderr = buf_stdout, buf_stderr

def last_exception_args():
    error = sys.last_exc
    if not error:
        return None
    return json.dumps(error.args)

class _DSPyFinalOutput(BaseException):
    """Raised by SUBMIT to stop the code and hand its value back."""

if "SUBMIT" not in dir():
    def SUBMIT(output):
        raise _DSPyFinalOutput({"output": output})
`;
const RESTORE = "sys.stdout, sys.stderr = old_stdout, old_stderr";

// Pyodide keeps the last exception raised by the code in sys.last_exc; its args travel as
// JSON (JSON.parse(null) is null, and then there are none).
function lastExceptionArgs(pyodide) {
  const helper = pyodide.globals.get("last_exception_args");
  try {
    return fromJSON(helper()) || [];
  } finally {
    helper.destroy?.();
  }
}

async function execute(pyodide, id, code) {
  let prepared = false;
  let result;
  try {
    await pyodide.loadPackagesFromImports(code);
    pyodide.runPython(PRELUDE);
    prepared = true;
    result = await pyodide.runPythonAsync(code);
    const printed = pyodide.runPython("buf_stdout.getvalue()");
    const output = result === null || result === undefined ? printed : (result.toJs?.() ?? result);
    return toJSON({ id, output });
  } catch (error) {
    try {
      const type = error.type || "Error";
      const message = (error.message || "").trim();
      if (type === "_DSPyFinalOutput") {
        return toJSON({ id, final: lastExceptionArgs(pyodide)[0] || null });
      }
      const args = type === "SyntaxError" ? [] : lastExceptionArgs(pyodide);
      return toJSON({ id, error: { type, message, args } });
    } catch (failure) {
      // DSPy's runner dies here (its session ends); the host ends this one the same way.
      return toJSON({ id, fatal: `${failure?.type || failure?.name || "Error"}: ${failure?.message ?? failure}` });
    }
  } finally {
    result?.destroy?.();
    if (prepared) {
      try {
        pyodide.runPython(RESTORE);
      } catch {
        // the code's own failure is what gets reported
      }
    }
  }
}

async function* lines(readable) {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of readable) {
    pending += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, end);
      pending = pending.slice(end + 1);
    }
  }
  pending += decoder.decode();
  if (pending) yield pending;
}

// A promise the sandboxed code left rejected must not end the session.
globalThis.addEventListener("unhandledrejection", (event) => event.preventDefault());

const pyodide = await loadPyodide();
await Deno.permissions.revoke({ name: "read" });
send(toJSON({ ready: true }));

for await (const line of lines(Deno.stdin.readable)) {
  let request;
  try {
    request = fromJSON(line);
  } catch {
    continue;
  }
  if (request === null || typeof request !== "object" || typeof request.code !== "string") continue;
  send(await execute(pyodide, request.id, request.code));
}
