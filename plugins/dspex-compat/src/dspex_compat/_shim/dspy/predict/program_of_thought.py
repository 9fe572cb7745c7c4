from dspex_compat._program_of_thought import ProgramOfThought

__all__ = ["ProgramOfThought"]
