from dspex_compat._react import ReAct
from dspex_compat._tool import Tool
