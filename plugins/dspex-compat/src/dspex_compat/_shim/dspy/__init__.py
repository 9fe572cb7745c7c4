"""DSPy's public API on dspex (dspex-compat): each predictor is a dspex reference."""

from dspex_core import Completions, Example, Prediction

from dspex_compat._adapters import Adapter, ChatAdapter, JSONAdapter, XMLAdapter
from dspex_compat._bootstrap_few_shot import BootstrapFewShot
from dspex_compat._cache import cache, configure_cache
from dspex_compat._chain_of_thought import ChainOfThought
from dspex_compat._dspy_errors import (
    AdapterParseError,
    ContextWindowExceededError,
    DSPyError,
    LMAuthError,
    LMBillingError,
    LMCollectionLimitError,
    LMConfigurationError,
    LMError,
    LMInvalidRequestError,
    LMLockTimeoutError,
    LMNotConfiguredError,
    LMProviderError,
    LMRateLimitError,
    LMServerError,
    LMStreamAssemblyError,
    LMTimeoutError,
    LMTransportError,
    LMUnexpectedError,
    LMUnsupportedFeatureError,
    LMUnsupportedModelError,
)
from dspex_compat._fields import InputField, OutputField
from dspex_compat._interpreter import (
    CodeExecutionError,
    CodeInterpreter,
    CodeInterpreterError,
    FinalOutput,
    resolve_interpreter_factory,
)
from dspex_compat._labeled_few_shot import LabeledFewShot
from dspex_compat._lm import LM, BaseLM, inspect_history
from dspex_compat._lazy_names import lazy_attribute
from dspex_compat._module import BaseModule, Module
from dspex_compat._parameter import Parameter
from dspex_compat._predict import Predict
from dspex_compat._python_interpreter import PythonInterpreter
from dspex_compat._retrieve import ColBERTv2, Retrieve
from dspex_compat._sandbox_serializable import SandboxSerializable
from dspex_compat._settings import configure, context, settings
from dspex_compat._signature import Signature, ensure_signature, infer_prefix, make_signature
from dspex_compat._version import DSPY_VERSION as __version__

from dspy import adapters, clients, dsp, experimental, predict, primitives, signatures, teleprompt, utils  # noqa: E402

_TOP_LEVEL = ("Type", "Image", "Audio", "File", "Code", "Reasoning", "History", "ToolCalls", "Tool")


def __getattr__(name):
    return lazy_attribute(__name__, name)
