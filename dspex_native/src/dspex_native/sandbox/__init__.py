"""A sandbox for running Python code that a language model wrote: CPython compiled to
WebAssembly (Pyodide) inside a Deno process that may touch nothing on the host.

Why this shape: generated code must not reach the host's files, network, environment
variables, processes or Python. Pyodide gives the code a whole CPython (standard library
included) with an in-memory file system; Deno runs it with every permission denied (no
``--allow-net``, ``--allow-env``, ``--allow-write``, ``--allow-run``, ``--allow-ffi``), reading
only Pyodide's own files while it loads, and then not even those. DSPy's
``PythonInterpreter`` runs code the same way, so generated code behaves identically under
both backends; this package reimplements it without DSPy:

* :mod:`.runtime` finds Deno (the ``deno`` distribution on PyPI, installed by the
  ``dspex-native[sandbox]`` extra, else one on ``PATH``) and Pyodide in Deno's cache, and
  builds the command line and the (minimal) environment of the Deno process;
* ``runner.js`` is the script Deno runs: it loads Pyodide and executes code sent as JSON
  lines, answering as DSPy's runner would (printed output, result, error text);
* :mod:`.process` is one running Deno process and its line protocol;
* :mod:`.interpreter` is :class:`~.interpreter.PyodideInterpreter`, one sandbox *session*
  with DSPy's ``CodeInterpreter`` methods (``start``/``execute``/``shutdown``), and
  :mod:`.results` what ``execute`` returns or raises;
* :mod:`.pool` checks once per process that the sandbox can start and keeps one started,
  never-used process ready, so that a session does not wait for Pyodide to load;
* ``python -m dspex_native.sandbox`` (:mod:`.__main__`) is the install step: it lets Deno
  download Pyodide from the npm registry into its cache once; later runs are offline
  (``--cached-only``).

Nothing here is imported by ``import dspex_native``; ``program_of_thought`` imports it when a
module is created.
"""
