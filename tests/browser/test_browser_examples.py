"""Done when: WebLLM's json-mode, json-schema and function-calling examples, as rewritten in
examples/ (the import and the model id changed), run in headless Chromium against
`webgpu-llm serve --examples examples` and their answers hold: JSON that parses, that
validates against the example's schema, a call whose arguments validate and an answer
from the tool's result."""

import json

import jsonschema

from browser_cases import open_page


def run_example(browser, served, name: str) -> dict:
    page = open_page(browser, f"{served}/examples/{name}/")
    page.wait_for_selector("body[data-state]", state="attached")
    output = page.inner_text("#output-label")
    assert page.get_attribute("body", "data-state") == "done", output
    assert "Finish loading" in page.inner_text("#init-label")
    return json.loads(output)


def test_json_mode_example(browser, served):
    reply = run_example(browser, served, "json-mode")
    assert len(reply["choices"]) == 2
    for choice in reply["choices"]:
        assert choice["finish_reason"] == "stop"
        assert isinstance(json.loads(choice["message"]["content"]), dict)


def test_json_schema_example(browser, served):
    output = run_example(browser, served, "json-schema")
    for reply in output["replies"]:
        assert reply["choices"][0]["finish_reason"] == "stop"
        jsonschema.validate(json.loads(reply["choices"][0]["message"]["content"]), output["schema"])
        assert reply["usage"]["extra"]["grammar_init_s"] >= 0


def test_function_calling_example(browser, served):
    output = run_example(browser, served, "function-calling")
    message = output["first"]["choices"][0]["message"]
    assert output["first"]["choices"][0]["finish_reason"] == "tool_calls" and len(message["tool_calls"]) == 1
    call = message["tool_calls"][0]
    assert call["function"]["name"] == "get_current_weather" and call["id"]
    jsonschema.validate(json.loads(call["function"]["arguments"]), output["tools"][0]["function"]["parameters"])
    result = output["result"]  # what getCurrentWeather returned for the model's arguments
    assert result["location"] == json.loads(call["function"]["arguments"])["location"]
    answer = output["answer"].lower()
    assert str(result["temperature"]) in answer or result["sky"] in answer, (result, output["answer"])
