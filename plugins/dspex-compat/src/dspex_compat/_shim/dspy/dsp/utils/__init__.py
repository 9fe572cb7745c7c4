from dspex_compat._dotdict import dotdict
from dspex_compat._settings import settings
