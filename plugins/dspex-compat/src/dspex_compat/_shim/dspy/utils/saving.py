from dspex_compat._saving import get_dependency_versions, load
