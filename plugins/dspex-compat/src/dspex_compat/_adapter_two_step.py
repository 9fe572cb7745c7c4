"""DSPy's ``dspy.TwoStepAdapter``: the main LM answers in free text, a second (extraction) LM
reads the outputs out of it.

Made for reasoning models that follow no output format well: the main LM gets a plain prompt
(the task, the fields, the inputs as ``name: value``), and a ``ChatAdapter`` call of the
extraction LM, on a signature ``text -> <the outputs>``, turns its reply into the outputs.
"""

from __future__ import annotations

from typing import Any

from dspex_compat._adapter_base import Adapter
from dspex_compat._adapter_utils import get_field_description_string
from dspex_compat._dspy_errors import AdapterParseError
from dspex_compat._fields import InputField
from dspex_compat._lm import BaseLM
from dspex_compat._signature import make_signature

__all__ = ["TwoStepAdapter"]


class TwoStepAdapter(Adapter):
    """``TwoStepAdapter(extraction_model)``: a plain prompt for the main LM, extraction by a second LM."""

    def __init__(self, extraction_model: BaseLM, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(extraction_model, BaseLM):
            raise ValueError("extraction_model must be an instance of dspy.BaseLM")
        self.extraction_model = extraction_model

    def format(self, signature: Any, demos: list[Any], inputs: dict[str, Any]) -> list[dict[str, Any]]:
        messages = [{"role": "system", "content": self.format_task_description(signature)}]
        messages.extend(self.format_demos(signature, demos))
        messages.append({"role": "user", "content": self.format_user_message_content(signature, inputs)})
        return messages

    def parse(self, signature: Any, completion: str) -> dict[str, Any]:
        """The outputs the extraction LM reads out of ``completion``."""
        from dspex_compat._adapters import ChatAdapter

        try:
            return ChatAdapter()(lm=self.extraction_model, lm_kwargs={}, signature=self._extractor(signature),
                                 demos=[], inputs={"text": completion})[0]
        except AdapterParseError as exc:
            raise AdapterParseError(adapter_name="TwoStepAdapter", signature=signature, lm_response=completion,
                                    message=f"Failed to parse response from the original completion: {exc}") from exc

    async def acall(self, lm: Any, lm_kwargs: dict[str, Any], signature: Any, demos: list[Any],
                    inputs: dict[str, Any]) -> list[dict[str, Any]]:
        from dspex_compat._adapters import ChatAdapter

        outputs = await lm.acall(messages=self.format(signature, demos, inputs), **lm_kwargs)
        extractor = self._extractor(signature)
        values = []
        for output in outputs:
            text, logprobs = output, None
            if isinstance(output, dict):
                text, logprobs = output["text"], output.get("logprobs")
            try:
                value = (await ChatAdapter().acall(lm=self.extraction_model, lm_kwargs={}, signature=extractor,
                                                   demos=[], inputs={"text": text}))[0]
            except AdapterParseError as exc:
                raise AdapterParseError(adapter_name="TwoStepAdapter", signature=signature, lm_response=str(output),
                                        message=f"Failed to parse response from the original completion: {exc}"
                                        ) from exc
            if logprobs is not None:
                value["logprobs"] = logprobs
            values.append(value)
        return values

    def format_task_description(self, signature: Any) -> str:
        parts = ["You are a helpful assistant that can solve tasks based on user input.",
                 "As input, you will be provided with:\n" + get_field_description_string(signature.input_fields),
                 "Your outputs must contain:\n" + get_field_description_string(signature.output_fields),
                 "You should lay out your outputs in detail so that your answer can be understood by another agent"]
        if signature.instructions:
            parts.append(f"Specific instructions: {signature.instructions}")
        return "\n".join(parts)

    def format_user_message_content(self, signature: Any, inputs: dict[str, Any], prefix: str = "", suffix: str = "",
                                    main_request: bool = False) -> str:
        parts = [prefix, *(f"{name}: {inputs.get(name, '')}" for name in signature.input_fields if name in inputs),
                 suffix]
        return "\n\n".join(parts).strip()

    def format_assistant_message_content(self, signature: Any, outputs: dict[str, Any],
                                         missing_field_message: str | None = None) -> str:
        parts = [f"{name}: {outputs.get(name, missing_field_message)}" for name in signature.output_fields
                 if name in outputs]
        return "\n\n".join(parts).strip()

    def _extractor(self, signature: Any) -> Any:
        """``text -> <signature's outputs>``, with instructions to extract them verbatim."""
        fields = {"text": (str, InputField()),
                  **{name: (field.annotation, field) for name, field in signature.output_fields.items()}}
        outputs = ", ".join(f"`{name}`" for name in signature.output_fields)
        return make_signature(fields, f"The input is a text that should contain all the necessary information to "
                                      f"produce the fields {outputs}.             Your job is to extract the fields "
                                      "from the text verbatim. Extract precisely the appropriate value (content) for "
                                      "each field.")
