"""DSPy's status messages in a stream: ``StatusMessageProvider`` says what to report around tools,
modules and LM calls; ``StatusStreamingCallback`` sends it to the running stream."""

from __future__ import annotations

from typing import Any

from dspex_compat._callback import BaseCallback
from dspex_compat._settings import settings
from dspex_compat._stream_sink import StatusMessage

__all__ = ["StatusMessageProvider", "StatusStreamingCallback", "sync_send_to_stream"]


def sync_send_to_stream(stream: Any, message: Any) -> None:
    """Send a message to the running stream (from the program's thread)."""
    stream.send(message)


class StatusMessageProvider:
    """The status messages of a stream; override a method to report that step (``None``: nothing)."""

    def tool_start_status_message(self, instance: Any, inputs: dict[str, Any]) -> Any:
        return f"Calling tool {instance.name}..."

    def tool_end_status_message(self, outputs: Any) -> Any:
        return "Tool calling finished! Querying the LLM with tool calling results..."

    def module_start_status_message(self, instance: Any, inputs: dict[str, Any]) -> Any:
        pass

    def module_end_status_message(self, outputs: Any) -> Any:
        pass

    def lm_start_status_message(self, instance: Any, inputs: dict[str, Any]) -> Any:
        pass

    def lm_end_status_message(self, outputs: Any) -> Any:
        pass


class StatusStreamingCallback(BaseCallback):
    def __init__(self, status_message_provider: StatusMessageProvider | None = None):
        self.status_message_provider = status_message_provider or StatusMessageProvider()

    def _send(self, message: Any) -> None:
        stream = settings.send_stream
        if stream is not None and message:
            sync_send_to_stream(stream, StatusMessage(message))

    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        if settings.send_stream is None or instance.name == "finish":
            return
        self._send(self.status_message_provider.tool_start_status_message(instance, inputs))

    def on_tool_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        if settings.send_stream is None or outputs == "Completed.":
            return
        self._send(self.status_message_provider.tool_end_status_message(outputs))

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        if settings.send_stream is not None:
            self._send(self.status_message_provider.lm_start_status_message(instance, inputs))

    def on_lm_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        if settings.send_stream is not None:
            self._send(self.status_message_provider.lm_end_status_message(outputs))

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        if settings.send_stream is not None:
            self._send(self.status_message_provider.module_start_status_message(instance, inputs))

    def on_module_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        if settings.send_stream is not None:
            self._send(self.status_message_provider.module_end_status_message(outputs))
