// WebLLM's function-calling example with the import and the model id changed, carried through
// as OpenAI's function-calling guide goes: the model calls getCurrentWeather, the page runs
// it, the result goes back as a `tool` message, and the model answers from it.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

/** Stand-in for a real weather service, called with the model's arguments. */
function getCurrentWeather(location, unit = "celsius") {
  return { location, temperature: unit === "celsius" ? 18 : 64, unit, sky: "sunny" };
}

const tools = [{
  type: "function",
  function: {
    name: "get_current_weather",
    description: "Get the current weather in a given location",
    parameters: {
      type: "object",
      properties: {
        location: { type: "string", description: "The city and state, e.g. San Francisco, CA" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
      },
      required: ["location"],
    },
  },
}];

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const engine = await webllm.CreateMLCEngine("SmolLM2-135M-Instruct-q4f16_1-MLC", { initProgressCallback });

  const messages = [{ role: "user", content: "What is the current weather in celsius in Pittsburgh?" }];
  // WebLLM's example leaves the choice to the model ("auto"); SmolLM2-135M mostly answers in
  // text then, so the first round requires a call (grammar-forced) and asks for one.
  const first = await engine.chat.completions.create({
    stream: false, messages, tools, tool_choice: "required", parallel_tool_calls: false, max_tokens: 64, seed: 7,
  });
  const call = first.choices[0].message.tool_calls[0];
  const args = JSON.parse(call.function.arguments);
  const result = getCurrentWeather(args.location, args.unit);
  messages.push(first.choices[0].message,
                { role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });

  // The answer streams, as WebLLM's example does. Both rounds are seeded (the chat config
  // samples), so the example prints one answer run after run.
  let answer = "";
  for await (const chunk of await engine.chat.completions.create({
    stream: true, messages, tools, tool_choice: "none", max_tokens: 48, seed: 7,
  })) {
    answer += chunk.choices[0]?.delta?.content ?? "";
    setLabel("output-label", answer);
  }
  console.log(await engine.runtimeStatsText());
  return { tools, first, result, answer };
}

runExample(main);
