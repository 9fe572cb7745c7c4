from dspex_compat._bootstrap_few_shot import BootstrapFewShot
from dspex_compat._labeled_few_shot import LabeledFewShot
from dspex_compat._lazy_names import lazy_attribute
from dspex_compat._teleprompter import Teleprompter


def __getattr__(name):
    return lazy_attribute(__name__, name)
