"""WebLLM's KV-cache chat options, `sliding_window_size` and `attention_sink_size`, checked against the model.

In WebLLM (web-llm `src/config.ts` ChatConfig) any model may run on a sliding-window
KV cache of `sliding_window_size` tokens that also keeps the first
`attention_sink_size` tokens (StreamingLLM's attention sink); -1 turns either off.
Here attention runs as the model defines it: a windowed model (Mistral, Phi-3,
Gemma's local layers) attends to exactly its own window, any other model to
its whole context, and there are no sinks. So a window equal to the model's own
is what the model does already and is accepted; any other window and any sink
are refused by name, never ignored.
"""

from __future__ import annotations

from typing import Any

from ..protocol.errors import FeatureNotSupportedError, InvalidRequestError

OFF = -1  # WebLLM's "not used" for both options


def _option_int(options: dict[str, Any], name: str) -> int | None:
    value = options.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise InvalidRequestError(f"{name} must be an integer (-1: off), got {value!r}", param=name)
    return int(value)


def check_window_options(options: dict[str, Any], model_window: int) -> None:
    """Refuse a `sliding_window_size` other than -1 or the model's own window, and any attention sink.

    model_window: the keys a windowed layer attends to (ModelConfig.sliding_window), 0 for none.
    """
    window = _option_int(options, "sliding_window_size")
    if window is not None and window != OFF:
        if window < 1:
            raise InvalidRequestError(f"sliding_window_size must be -1 (off) or a positive number of tokens, "
                                      f"got {window}", param="sliding_window_size")
        if window != model_window:
            own = f"its own window of {model_window} tokens" if model_window else "no sliding window"
            allowed = f"-1 or {model_window}" if model_window else "-1"
            raise FeatureNotSupportedError(
                f"sliding_window_size {window} cannot be honored: this engine runs the model's attention as the "
                f"model defines it ({own}); leave sliding_window_size unset or set it to {allowed}",
                param="sliding_window_size")
    sink = _option_int(options, "attention_sink_size")
    if sink is not None and sink not in (OFF, 0):
        raise FeatureNotSupportedError(
            f"attention_sink_size {sink} cannot be honored: this engine keeps no attention sink tokens; "
            "leave attention_sink_size unset or set it to -1 or 0", param="attention_sink_size")
