from dspex_core import History, ToolCallResults, ToolCalls

from dspex_compat._not_built import not_built
from dspex_compat._tool import Tool
from dspex_compat._types_audio import Audio
from dspex_compat._types_base import Type
from dspex_compat._types_code import Code
from dspex_compat._types_file import File
from dspex_compat._types_image import Image
from dspex_compat._types_reasoning import Reasoning


def __getattr__(name):
    raise not_built(__name__, name)
