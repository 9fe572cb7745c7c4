from dspex_compat._facade import (
    BRIDGEABLE_KINDS,
    CALL_TOOL,
    CONSTRUCT_TOOL,
    SHIM_SETUP,
    FacadeInvocation,
    SandboxLM,
    is_reserved_sandbox_name,
)
