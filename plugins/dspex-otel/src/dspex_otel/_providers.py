"""Which ``gen_ai.provider.name`` an LM's model prefix stands for.

dspex (like dspy and LiteLLM) names a model ``"provider/model"``; the OpenTelemetry GenAI
semantic conventions name providers with their own well-known values (``openai``,
``gcp.gemini``, ``azure.ai.openai``, ...). A prefix with no well-known value (``ollama``,
``openrouter``, a gateway) is reported as it is written, which the conventions allow for
providers they do not list.
"""

from __future__ import annotations

#: LiteLLM/dspex model prefix -> the semantic conventions' ``gen_ai.provider.name``.
WELL_KNOWN: dict[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "vertex_ai_beta": "gcp.vertex_ai",
    "azure": "azure.ai.openai",
    "azure_text": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "bedrock": "aws.bedrock",
    "bedrock_converse": "aws.bedrock",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "mistral": "mistral_ai",
    "perplexity": "perplexity",
    "xai": "x_ai",
    "watsonx": "ibm.watsonx.ai",
    "watsonx_text": "ibm.watsonx.ai",
    "ollama": "ollama",
    "ollama_chat": "ollama",
}


def split_model(model: str) -> tuple[str, str]:
    """``(gen_ai.provider.name, gen_ai.request.model)`` of a dspex model string: the prefix mapped
    to its well-known value, and the model as the provider is asked for it (without the prefix).
    A model without a prefix is OpenAI's, as in LiteLLM."""
    if "/" not in model:
        return "openai", model
    prefix, name = model.split("/", 1)
    return WELL_KNOWN.get(prefix, prefix), name
