"""sliding_window_size / attention_sink_size (WebLLM's ChatOptions): the model's own window passes, anything the
engine would have to ignore is refused by name."""

import pytest

from webgpu_llm.engine.chat_options import check_window_options
from webgpu_llm.protocol.errors import FeatureNotSupportedError, InvalidRequestError

MISTRAL_WINDOW = 4096


@pytest.mark.parametrize("options", [{}, {"sliding_window_size": -1}, {"sliding_window_size": None},
                                     {"attention_sink_size": -1}, {"attention_sink_size": 0},
                                     {"sliding_window_size": -1, "attention_sink_size": 0}])
def test_off_values_pass_on_any_model(options):
    check_window_options(options, 0)
    check_window_options(options, MISTRAL_WINDOW)


def test_the_models_own_window_passes():
    check_window_options({"sliding_window_size": MISTRAL_WINDOW, "attention_sink_size": 0}, MISTRAL_WINDOW)
    check_window_options({"sliding_window_size": 4096.0}, MISTRAL_WINDOW)


@pytest.mark.parametrize(("window", "model_window", "allowed"), [(1024, MISTRAL_WINDOW, "-1 or 4096"),
                                                                 (4096, 0, "set it to -1")])
def test_another_window_is_refused(window, model_window, allowed):
    with pytest.raises(FeatureNotSupportedError, match="sliding_window_size") as caught:
        check_window_options({"sliding_window_size": window}, model_window)
    assert caught.value.param == "sliding_window_size" and caught.value.code == "feature_not_supported"
    assert allowed in caught.value.message and caught.value.type == "invalid_request_error"


def test_attention_sinks_are_refused():
    with pytest.raises(FeatureNotSupportedError, match="attention sink") as caught:
        check_window_options({"sliding_window_size": MISTRAL_WINDOW, "attention_sink_size": 4}, MISTRAL_WINDOW)
    assert caught.value.param == "attention_sink_size"


@pytest.mark.parametrize("options", [{"sliding_window_size": 0}, {"sliding_window_size": -7},
                                     {"sliding_window_size": "4096"}, {"sliding_window_size": 10.5},
                                     {"attention_sink_size": True}])
def test_malformed_values_are_invalid(options):
    with pytest.raises(InvalidRequestError) as caught:
        check_window_options(options, MISTRAL_WINDOW)
    assert not isinstance(caught.value, FeatureNotSupportedError)
    assert caught.value.param == next(iter(options))
