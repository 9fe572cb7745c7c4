from dspex_compat._settings import DEFAULT_CONFIG, Settings, settings
