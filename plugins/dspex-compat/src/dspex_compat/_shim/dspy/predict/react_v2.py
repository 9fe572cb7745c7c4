from dspex_compat._react_v2 import ReActV2
