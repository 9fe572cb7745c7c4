from dspex_compat._callback import ACTIVE_CALL_ID, BaseCallback, with_callbacks
