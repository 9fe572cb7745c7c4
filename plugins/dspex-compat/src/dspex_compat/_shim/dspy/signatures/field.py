from dspex_compat._fields import DSPY_FIELD_ARG_NAMES, PYDANTIC_CONSTRAINT_MAP, InputField, OutputField, move_kwargs
