from dspex_core import ToolCallResults, ToolCalls

from dspex_compat._not_built import not_built
from dspex_compat._tool import Tool


def __getattr__(name):
    raise not_built(__name__, name)
