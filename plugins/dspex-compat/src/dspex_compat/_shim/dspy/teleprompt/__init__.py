from dspex_compat._bootstrap_few_shot import BootstrapFewShot
from dspex_compat._labeled_few_shot import LabeledFewShot
from dspex_compat._not_built import not_built
from dspex_compat._teleprompter import Teleprompter


def __getattr__(name):
    raise not_built(__name__, name)
