from dspex_compat._adapter_base import Adapter
