"""Done when: in headless Chromium, every greedy and sampled (3 seeds) answer of the
BROWSER_CASES schemas parses and validates with `jsonschema`; json_object answers are JSON
objects; a required tool call has arguments that validate; and the browser engine
(web-xgrammar masks, SwiftShader) gives the native engine's greedy answer (llguidance
masks, lavapipe) for the schemas of PARITY_CASES.

One worker engine answers every request of a test in one page.evaluate."""

import json
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from browser_cases import CHAT_OPTIONS, MODEL_ID, open_page
from browser_support import time_limit
from schema_cases import SCHEMA_CASES
from structured_prompts import ANSWERED_CASES, JSON_OBJECT_PROMPT, PROMPTS, SEEDS, schema_format
from webgpu_llm import Engine

MAX_TOKENS = 64
# Thirty of the 31 ANSWERED_CASES: all but ref_defs, the longest answers (~55 tokens each; $ref
# stays covered by ref_definitions). Measured natively, greedy + 3 seeds of the thirty take ~1,500
# tokens, 6-10 minutes at SwiftShader's 3-5 tokens/s.
BROWSER_CASES = tuple(name for name in ANSWERED_CASES if name != "ref_defs")
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER
SCHEMAS = dict(SCHEMA_CASES)
# Schemas whose greedy answers the two engines must agree on, text for text.
PARITY_CASES = ("optional_properties", "array_of_integers", "string_enum", "pattern", "format_date",
                "integer_bounds", "webllm_json_string")
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}},
                   "required": ["city"], "additionalProperties": False}}}
STRUCTURED_TIME_LIMIT_S = 1500  # ~1,550 tokens at 3-5 tokens/s on SwiftShader, plus 32 short prefills

# Runs in the page: one worker engine answers `requests` in order.
ANSWER_ALL = """async ({modelId, chatOpts, requests}) => {
  const { CreateWebWorkerMLCEngine, prebuiltAppConfig } = await import("/lib/index.js");
  const worker = new Worker("/lib/worker.js", { type: "module" });
  const engine = await CreateWebWorkerMLCEngine(worker, modelId, { appConfig: prebuiltAppConfig }, chatOpts);
  const replies = [];
  for (const request of requests) {
    try {
      replies.push(await engine.chat.completions.create(request));
    } catch (error) {
      replies.push({ error: `${error.name}: ${error.message}` });
    }
  }
  worker.terminate();
  return replies;
}"""


def requests_for(name: str) -> list[dict]:
    base = {"messages": [{"role": "user", "content": PROMPTS[name]}], "max_tokens": MAX_TOKENS,
            "response_format": schema_format(SCHEMAS[name])}
    return [{**base, "temperature": 0}] + [{**base, "temperature": 0.7, "top_p": 0.9, "seed": s} for s in SEEDS]


def answer_in_browser(browser, served, requests: list[dict]) -> list[dict]:
    page = open_page(browser, served + "/")
    with time_limit(STRUCTURED_TIME_LIMIT_S):
        replies = page.evaluate(ANSWER_ALL, {"modelId": MODEL_ID, "chatOpts": CHAT_OPTIONS, "requests": requests})
    assert not [r["error"] for r in replies if "error" in r]
    return replies


@pytest.fixture(scope="module")
def native_greedy(smollm2_folder):
    """The native engine's greedy answers for PARITY_CASES (in a thread: playwright's sync API
    keeps an event loop in this one)."""
    def answer():
        engine = Engine(smollm2_folder("q4f16_1"), **CHAT_OPTIONS)
        return {name: engine.chat.completions.create(**requests_for(name)[0]).choices[0].message.content
                for name in PARITY_CASES}

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(answer).result()


def test_every_browser_answer_validates_and_greedy_matches_native(browser, served, native_greedy):
    assert len(BROWSER_CASES) >= 30 and set(PARITY_CASES) <= set(BROWSER_CASES)
    names = list(BROWSER_CASES)
    requests = [request for name in names for request in requests_for(name)]
    requests.append({"messages": [{"role": "user", "content": JSON_OBJECT_PROMPT}], "max_tokens": MAX_TOKENS,
                     "response_format": {"type": "json_object"}, "temperature": 0})
    requests.append({"messages": [{"role": "user", "content": "What's the weather in Paris?"}], "max_tokens": 64,
                     "tools": [WEATHER], "tool_choice": "required", "parallel_tool_calls": False, "temperature": 0})
    replies = answer_in_browser(browser, served, requests)
    per_case = len(SEEDS) + 1
    for i, name in enumerate(names):
        schema = SCHEMAS[name]
        original = json.loads(schema) if isinstance(schema, str) else schema
        for reply in replies[i * per_case:(i + 1) * per_case]:
            choice = reply["choices"][0]
            assert choice["finish_reason"] == "stop", (name, choice["message"]["content"])
            jsonschema.validate(json.loads(choice["message"]["content"]), original, format_checker=FORMATS)
            assert reply["usage"]["extra"]["grammar_per_token_s"] > 0
    greedy = {name: replies[i * per_case]["choices"][0]["message"]["content"] for i, name in enumerate(names)}
    assert {name: greedy[name] for name in PARITY_CASES} == native_greedy
    json_object, tool = replies[-2]["choices"][0], replies[-1]["choices"][0]
    assert json_object["finish_reason"] == "stop" and isinstance(json.loads(json_object["message"]["content"]), dict)
    assert tool["finish_reason"] == "tool_calls" and len(tool["message"]["tool_calls"]) == 1
    call = tool["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather" and call["id"].startswith("call_")
    jsonschema.validate(json.loads(call["function"]["arguments"]), WEATHER["function"]["parameters"])
