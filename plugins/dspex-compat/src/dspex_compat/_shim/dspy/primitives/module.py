from dspex_compat._module import Module, ProgramMeta
