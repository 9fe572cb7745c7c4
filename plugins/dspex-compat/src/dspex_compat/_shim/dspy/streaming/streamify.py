from dspex_compat._streaming import apply_sync_streaming, streamify
