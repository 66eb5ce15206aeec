// WebLLM's embeddings example with the import and the model ids changed, and without LangChain:
// webllmAPI() embeds documents and queries and prints each query's similarity with each
// document; simpleRAG() loads the encoder and a chat model into one engine, finds the passage
// nearest to the question and answers from it.
//
// WebLLM's snowflake-arctic-embed wants "[CLS] ... [SEP]" written around each text and a query
// prefix; all-MiniLM-L6-v2's tokenizer adds [CLS] and [SEP] itself and takes no prefix.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

const initProgressCallback = (report) => setLabel("init-label", report.text);
const embeddingModelId = "all-MiniLM-L6-v2-q0f16-MLC";
const llmModelId = "SmolLM2-135M-Instruct-q4f16_1-MLC";

/** Cosine similarity; the embeddings come back normalized, so it is their dot product. */
const similarity = (a, b) => a.reduce((sum, x, i) => sum + x * b[i], 0);

async function webllmAPI(engine) {
  const documents = ["The Data Cloud!", "Mexico City of Course!"];
  const queries = ["what is snowflake?", "Where can I get the best tacos?"];
  const docReply = await engine.embeddings.create({ input: documents, model: embeddingModelId });
  console.log(docReply, docReply.usage);
  const queryReply = await engine.embeddings.create({ input: queries, model: embeddingModelId });
  console.log(queryReply, queryReply.usage);

  const similarities = queries.map((query, i) => {
    console.log(`Similarity with: ${query}`);
    return documents.map((doc, j) => {
      const score = similarity(queryReply.data[i].embedding, docReply.data[j].embedding);
      console.log(`${doc}: ${score}`);
      return score;
    });
  });
  return { documents, queries, similarities, usage: [docReply.usage, queryReply.usage],
           dimensions: docReply.data.map((item) => item.embedding.length), object: docReply.object,
           model: docReply.model };
}

async function simpleRAG(engine) {
  const passages = ["mitochondria is the powerhouse of the cell", "The Eiffel Tower is in Paris.",
                    "Tacos are a Mexican dish."];
  const question = "What is the powerhouse of the cell?";
  const passageReply = await engine.embeddings.create({ input: passages, model: embeddingModelId });
  const [questionItem] = (await engine.embeddings.create({ input: question, model: embeddingModelId })).data;
  const scores = passageReply.data.map((item) => similarity(item.embedding, questionItem.embedding));
  const context = passages[scores.indexOf(Math.max(...scores))]; // the retriever: the nearest passage

  const prompt = `Answer the question based only on the following context:\n${context}\n\nQuestion: ${question}`;
  const reply = await engine.chat.completions.create({
    messages: [{ role: "user", content: prompt }],
    model: llmModelId,
    temperature: 0, max_tokens: 16, // greedy and short on a CPU adapter
  });
  console.log(reply.choices[0].message.content); // "The powerhouse of the cell is the mitochondria."
  return { context, scores, answer: reply.choices[0].message.content };
}

async function main() {
  // Both models in a single engine (WebLLM's simpleRAG); each request names its model.
  const engine = await webllm.CreateMLCEngine([embeddingModelId, llmModelId], { initProgressCallback },
    [{}, { context_window_size: 1024 }]);
  return { api: await webllmAPI(engine), rag: await simpleRAG(engine) };
}

runExample(main);
