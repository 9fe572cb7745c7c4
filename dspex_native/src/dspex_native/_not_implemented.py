"""What the native backend does not build yet, as ``dspex backends`` lists it.

Each phrase names a feature that raises :class:`dspex_core.CapabilityError` (a
``NotImplementedError``) when asked for, so that a router with ``allow_fallback`` can serve
the call on dspy instead. The implementations carry these lists as their
``not_implemented`` attribute; tests/native/test_not_implemented.py asks for each feature
and checks that it raises.
"""

from __future__ import annotations

#: dspy hands on LiteLLM's own logprobs objects there (dspex_native/lm/logprobs.py)
LITELLM_LOGPROBS = ("logprobs on LiteLLM's route (engine='litellm', or a model or call dspy sends LiteLLM's way: "
                    "dspy hands on LiteLLM's ChoiceLogprobs objects there)")

ADAPTER_TYPES = ("field types other than str, int, float, bool, Any, list[...], dict[...], tuple[...], set[...], "
                 "Literal[...], pydantic models, the other types pydantic reads (Enum, datetime, Decimal, UUID, "
                 "Path, Literals of floats, None or Enum members, ...; with pydantic installed) and unions of those, "
                 "History, Image, dspy.File, dspy.Audio and Tool inputs, ToolCalls inputs and outputs and "
                 "dspy.Reasoning outputs (types pydantic cannot read, a ToolCalls inside list/Optional, tool call "
                 "results in History messages with the XMLAdapter, dspy.Reasoning outputs on a provider LM unless "
                 "reasoning_effort=None, Image and Tool outputs, ...)")
NATIVE_CALLS = ("native function calling (a ToolCalls output read from the LM's tool_calls, DSPy's JSONAdapter "
                "with a tool input) on Anthropic's and Gemini's LiteLLM routes, and on LiteLLM's route for "
                "providers other than openai, xai, together_ai, deepseek and hosted_vllm")
LM_PROVIDERS = ("LM providers without an OpenAI-compatible endpoint or a native wire (bedrock/, vertex_ai/, "
                "cohere/, azure_ai/, ...) unless api_base= points at an OpenAI-compatible one; requests dspy "
                "sends through LiteLLM's own client for anthropic/ and gemini/ with settings LiteLLM rewrites "
                "(response_format, user, tools, reasoning, ...), and for ollama/ and ollama_chat/ (Ollama's own "
                "API) with tools, images by URL or other than PNG/JPEG on ollama/, settings outside LiteLLM's and "
                "Ollama's options, or for one call dspy sends LiteLLM's way from an LM on its own engine; tools, "
                "tool_choice and parallel_tool_calls on LiteLLM's route for providers other than openai, xai, "
                "together_ai, deepseek and hosted_vllm; on Anthropic's and Gemini's wires, a tool_choice lm15 "
                "cannot take, logprobs, other lm15 settings, a json_object response_format on anthropic/ and "
                "message parts other than text and a user's images, files (without a filename) and audio; Azure "
                "through AZURE_OPENAI_ENDPOINT and Azure o-series deployments; " + LITELLM_LOGPROBS)
CHECKED_TYPES = ("field types the native checks cannot follow (typing constructs other than classes, "
                 "Literal, unions and list/tuple/set/dict of those, e.g. Callable[...])")
TOOL_TYPES = ("tool argument types other than str, int, float, bool, None, Any, list[...], dict[str, ...], "
              "Literal[...] and unions of those where pydantic is not installed, and argument schemas with other "
              "keywords where jsonschema is not installed (dspy.Tool reads and checks the others with them: "
              "pydantic models, tuple, Enum, datetime, ...)")
FOREIGN_MODULE = ("wrapping a module of another backend (the dspy backend wraps its own modules; "
                  "native wraps native ones)")
UNLISTED_PREDICTORS = ("refining a native module type whose implementation does not list its predictors "
                       "(named_predictors), which Refine's advice and hints need")

TEACHER_SETTINGS = "teacher_settings other than lm and adapter (DSPy applies any setting to the teacher's runs)"
FOREIGN_PROGRAM = ("optimizing a program of another backend (native optimizers set the demos of native "
                   "programs; the dspy backend optimizes its own and rebuilds native ones)")
WITHOUT_OPTUNA = ("mipro_v2 and mipro without optuna, the library of their Bayesian search "
                  "(pip install 'dspex-native[optimizers]')")
EVAL_FILES = ("evaluation files and callback metadata in eval_kwargs (save_as_csv, save_as_json, "
              "callback_metadata)")

#: lm: a direct LM call
LM_CALL = (LITELLM_LOGPROBS,)

#: the modules that run one predictor on a user's signature, and those that run predictors
PREDICT = (ADAPTER_TYPES, LM_PROVIDERS)
#: predict, chain_of_thought and the signature step (a typed Predict): a ToolCalls output in the user's signature
PREDICT_STEP = (*PREDICT, NATIVE_CALLS)
VALIDATOR = (CHECKED_TYPES,)
#: react: its two predictors are Predicts (streamed step by step; neither calls functions natively), and its
#: tools' arguments are described as pydantic would
REACT = (*PREDICT, TOOL_TYPES)
#: best_of_n: the module it wraps
REWARD_LOOP = (FOREIGN_MODULE,)
#: refine and retry: best_of_n's, and Refine's advice names the wrapped module's predictors
REFINE = (*REWARD_LOOP, UNLISTED_PREDICTORS)
