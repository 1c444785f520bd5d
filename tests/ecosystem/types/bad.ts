// Deliberate misuse: every line marked `// expect TSxxxx` must fail with that error, and nothing
// else may fail. Compiled by tests/ecosystem/types.test.mjs.
import { BatchClient, BatchError, type Batch, type KnownBatchStatus } from "llm-batches";

const missingKey = new BatchClient({ baseURL: "https://api.openai.com/v1" }); // expect TS2741|TS2345
const client = new BatchClient({ apiKey: "sk", dialect: "azure" }); // expect TS2322
const typo: KnownBatchStatus = "canceled"; // expect TS2820
const counts: Record<KnownBatchStatus, number> = { validating: 0, in_progress: 0, finalizing: 0, completed: 0, failed: 0, expired: 0, cancelling: 0 }; // expect TS2741

async function misuse(batch: Batch): Promise<void> {
  await client.retrieve(42); // expect TS2345
  await client.list({ limit: "20" }); // expect TS2322
  await client.create({ endpoint: "/v1/chat/completions" }); // expect TS2741|TS2345
  await client.watch({ ids: "batch_1" }); // expect TS2322
  const created: number = batch.created_at; // expect TS2322
  const total: string = batch.request_counts.total; // expect TS2322
  for (const result of client.results(batch)) console.log(result); // expect TS2488
  for await (const r of client.results(batch)) console.log(r.response.body); // expect TS18047
  for await (const r of client.results(batch)) if (!r.error) console.log(r.error.code); // expect TS18047
  await client.uploadFile("x", { expires_after: { anchor: "now", seconds: 60 } }); // expect TS2322
  new BatchClient({ apiKey: "sk", provider: "nope" }); // expect TS2322
  throw new BatchError("x", { kind: "network" }); // expect TS2322
}

console.log(missingKey, typo, counts, misuse);
