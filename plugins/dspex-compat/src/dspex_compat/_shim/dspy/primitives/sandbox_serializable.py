from dspex_compat._sandbox_serializable import SandboxSerializable, build_repl_variable

__all__ = ["SandboxSerializable", "build_repl_variable"]
