from dspex_compat._interpreter import (
    SIMPLE_TYPES,
    CodeExecutionError,
    CodeInterpreter,
    CodeInterpreterError,
    FinalOutput,
    create_interpreter as _create_interpreter,
    resolve_interpreter_factory,
    validate_interpreter as _validate_interpreter,
    validate_interpreter_factory as _validate_interpreter_factory,
)
