"""Done when (issue 12, item 2): two models loaded at once in one Web Worker engine answer
their own requests, told apart by their different greedy outputs. The models: SmolLM2 and
a tiny random-weight Llama with SmolLM2's tokenizer (tests/tiny_model_support.py); with
both loaded, a call that names no model is an InvalidRequestError about `model`."""

import pytest

from browser_cases import CHAT_OPTIONS, MODEL_ID, QUESTION, open_page
from server_support import running_server
from tiny_model_support import TINY_MODEL_ID

# Greedy, the end-of-turn token (id 2) suppressed: few tokens, as SwiftShader decodes ~3 tokens/s.
REQUEST = {"messages": QUESTION, "temperature": 0, "max_tokens": 4, "logit_bias": {"2": -100}}

# Runs in the page: one worker engine with both models; each answers, then the errors.
TWO_MODELS = """async ({ids, chatOpts, request}) => {
  const lib = await import("/lib/index.js");
  const errorOf = async (call) => {
    try { await call(); return null; } catch (e) {
      return { name: e.name, param: e.param, message: e.message, invalid: e instanceof lib.InvalidRequestError };
    }
  };
  // Checked in the page before any load: one ChatOptions per id, or none.
  const mismatch = await errorOf(() => new lib.MLCEngine().reload(ids, [chatOpts]));
  const worker = new Worker("/lib/worker.js", { type: "module" });
  const engine = await lib.CreateWebWorkerMLCEngine(worker, ids, { appConfig: lib.prebuiltAppConfig },
    ids.map(() => chatOpts));
  const [smolId, tinyId] = ids;
  const smol = await engine.chat.completions.create({ ...request, model: smolId });
  let tinyText = ""; const tinyModels = new Set();
  for await (const chunk of await engine.chat.completions.create({ ...request, model: tinyId, stream: true })) {
    tinyText += chunk.choices[0]?.delta?.content ?? "";
    tinyModels.add(chunk.model);
  }
  const messages = [await engine.getMessage(smolId), await engine.getMessage(tinyId)];
  const errors = {
    chat: await errorOf(() => engine.chat.completions.create(request)),
    stream: await errorOf(() => engine.chat.completions.create({ ...request, stream: true })),
    unknown: await errorOf(() => engine.chat.completions.create({ ...request, model: "not-loaded" })),
    getMessage: await errorOf(() => engine.getMessage()),
    runtimeStatsText: await errorOf(() => engine.runtimeStatsText()),
    resetChat: await errorOf(() => engine.resetChat()),
  };
  await engine.resetChat(false, tinyId);
  const afterReset = [await engine.getMessage(smolId), await engine.getMessage(tinyId)];
  const stats = await engine.runtimeStatsText(smolId);
  const info = await engine.getLoadedModelInfo();
  worker.terminate();
  return { mismatch, smol: { model: smol.model, text: smol.choices[0].message.content },
           tiny: { models: [...tinyModels], text: tinyText }, messages, errors, afterReset, stats, info };
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory, smollm2_folder, tiny_llama_folder):
    """serve over a cache of its own with both models (links to their folders)."""
    root = tmp_path_factory.mktemp("two-models")
    (root / "models").mkdir()
    (root / "models" / MODEL_ID).symlink_to(smollm2_folder("q4f16_1"), target_is_directory=True)
    (root / "models" / TINY_MODEL_ID).symlink_to(tiny_llama_folder, target_is_directory=True)
    with running_server(root) as base_url:
        yield base_url


def test_two_models_in_one_worker_engine_answer_their_own_requests(browser, served):
    page = open_page(browser, served + "/")
    result = page.evaluate(TWO_MODELS, {"ids": [MODEL_ID, TINY_MODEL_ID], "chatOpts": CHAT_OPTIONS,
                                        "request": REQUEST})
    smol, tiny = result["smol"], result["tiny"]
    assert smol["model"] == MODEL_ID and tiny["models"] == [TINY_MODEL_ID]
    assert smol["text"] == "The capital of France" and tiny["text"] and tiny["text"] != smol["text"], (smol, tiny)
    assert result["messages"] == [smol["text"], tiny["text"]]  # getMessage(modelId): each model's own
    assert result["afterReset"] == [smol["text"], ""]  # resetChat(false, modelId): that model only
    assert "decoding:" in result["stats"]
    assert result["info"]["modelId"] == [MODEL_ID, TINY_MODEL_ID] and result["info"]["weightLoads"] == 2

    errors = result["errors"]
    for name in ("chat", "stream", "getMessage", "runtimeStatsText", "resetChat"):
        error = errors[name]
        assert error["name"] == "InvalidRequestError" and error["invalid"] and error["param"] == "model", error
        assert MODEL_ID in error["message"] and TINY_MODEL_ID in error["message"]
    assert errors["unknown"]["name"] == "UnknownModelError" and errors["unknown"]["invalid"]
    assert errors["unknown"]["param"] == "model" and "not-loaded" in errors["unknown"]["message"]
    assert result["mismatch"]["name"] == "InvalidRequestError" and result["mismatch"]["param"] == "chatOpts"
