from dspex_compat._adapters import ChatAdapter, FieldInfoWithName, field_header_pattern
