// WebLLM's json-schema example with the import and the model id changed: a schema given as
// a JSON string (WebLLM's response_format {type: "json_object", schema}), then the same in
// OpenAI's form {type: "json_schema", json_schema: {name, schema}}.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

// WebLLM builds this with typebox (Type.Object({size: Type.Integer(), ...})); here it is written out.
const schema = JSON.stringify({
  type: "object",
  properties: { size: { type: "integer" }, is_accepted: { type: "boolean" }, num: { type: "number" } },
  required: ["size", "is_accepted", "num"],
});

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const engine = await webllm.CreateMLCEngine("SmolLM2-135M-Instruct-q4f16_1-MLC", { initProgressCallback });

  // Note that you'd need to prompt the model to answer in JSON either in
  // user's message or the system prompt
  const messages = [{
    role: "user",
    content: "Generate a json containing three fields: an integer field named size, a "
      + "boolean field named is_accepted, and a float field named num.",
  }];
  const webllmForm = await engine.chatCompletion({
    stream: false, messages, max_tokens: 128, response_format: { type: "json_object", schema },
  });
  console.log(webllmForm);
  console.log("Output:\n" + (await engine.getMessage()));
  console.log(webllmForm.usage);

  const openaiForm = await engine.chat.completions.create({
    stream: false, messages, max_tokens: 128,
    response_format: { type: "json_schema", json_schema: { name: "fields", schema: JSON.parse(schema), strict: true } },
  });
  console.log(openaiForm.choices[0].message.content);
  return { schema: JSON.parse(schema), replies: [webllmForm, openaiForm] };
}

runExample(main);
