from dspex_compat._module import Module, ProgramMeta, set_attribute_by_name
