"""DSPy's interpreter callbacks on the layer: ``on_interpreter_*`` around a code interpreter's
``start``/``execute``/``invoke_tool``/``shutdown``, and PythonInterpreter's host side (tools, the
sandbox's JSON-RPC tool replies, shutdown) while running code in it is not built."""

import json

import pytest


@pytest.fixture
def dspy():
    import dspex_compat

    dspex_compat.install()
    import dspy

    return dspy


def _recorder(dspy):
    from dspy.utils.callback import ACTIVE_CALL_ID

    class Recorder(dspy.utils.BaseCallback):
        def __init__(self):
            self.events = []

        def __getattribute__(self, name):
            if not name.startswith("on_interpreter_"):
                return object.__getattribute__(self, name)
            events = object.__getattribute__(self, "events")

            def record(call_id, instance=None, inputs=None, outputs=None, exception=None):
                events.append({"handler": name[len("on_interpreter_"):], "call_id": call_id,
                               "parent": ACTIVE_CALL_ID.get(), "inputs": inputs, "outputs": outputs,
                               "exception": exception})
            return record

    return Recorder()


def test_local_interpreter_reports_startup_execute_tool_calls_and_shutdown(dspy):
    callback = _recorder(dspy)
    with dspy.context(callbacks=[callback]):
        interpreter = dspy.LocalInterpreter(tools={"double": lambda x: 2 * x})
        assert interpreter.execute("double(x=21)") == 42
        interpreter.shutdown()
    handlers = [event["handler"] for event in callback.events]
    assert handlers == ["execute_start", "startup_start", "startup_end", "tool_call_start", "tool_call_end",
                        "execute_end", "shutdown_start", "shutdown_end"]
    execute, startup, _, tool, tool_end, execute_end = callback.events[:6]
    assert execute["inputs"] == {"code": "double(x=21)", "variables": None}
    assert startup["parent"] == tool["parent"] == execute["call_id"]  # nested in the execute call
    assert tool["inputs"] == {"tool_name": "double", "args": [], "kwargs": {"x": 21}}
    assert tool_end["outputs"] == 42 and execute_end["outputs"] == 42


def test_python_interpreter_answers_tool_calls_and_cannot_run_code(dspy):
    callback = _recorder(dspy)
    writes = []
    interpreter = dspy.PythonInterpreter(tools={"pair": lambda: {"a": (1, 2)}}, callbacks=[callback])
    interpreter._write_message = lambda message, context: writes.append(json.loads(message))
    interpreter._handle_tool_call({"id": 3, "params": {"name": "pair", "kwargs": {}}})
    interpreter._handle_tool_call({"id": 4, "params": {"name": "nope"}})
    assert writes == [
        {"jsonrpc": "2.0", "result": {"value": '{"a": [1, 2]}', "type": "json"}, "id": 3},
        {"jsonrpc": "2.0", "error": {"code": -32008, "message": "Unknown tool: nope",
                                     "data": {"type": "CodeInterpreterError"}}, "id": 4}]
    with pytest.raises(NotImplementedError, match="interpreter_factory=dspy.LocalInterpreter"):
        interpreter.execute("print(1)")
    assert [event["handler"] for event in callback.events][-2:] == ["execute_start", "execute_end"]
    assert isinstance(callback.events[-1]["exception"], NotImplementedError)
    interpreter.shutdown()
    with pytest.raises(dspy.CodeInterpreterError, match="session has ended"):
        interpreter.start()


def test_an_interpreter_method_without_handlers_is_logged_and_runs(dspy, caplog):
    from dspy.utils.callback import with_callbacks

    class Interpreter:
        tools = {}

        def start(self):
            pass

        def execute(self, code, variables=None):
            return code

        def shutdown(self):
            pass

        @with_callbacks
        def reset(self):
            return "reset"

    with dspy.context(callbacks=[_recorder(dspy)]):
        assert Interpreter().reset() == "reset"
    assert "Unsupported code interpreter method for using callback: reset" in caplog.text
