// A tiny dashboard as a user would write it: one import of the package by name, no init call.
// The bundler (Vite or esbuild) picks the package's "browser" entry and must ship its .wasm.
// The API is this page's origin (the mock serves both), or ?api=ORIGIN.
import { BatchClient, BatchError, isTerminal } from "llm-batches";

const api = new URLSearchParams(location.search).get("api") ?? location.origin;
const status = document.getElementById("status");

try {
  const client = new BatchClient({ apiKey: "sk-browser-app", baseURL: `${api}/openai/v1` });
  const page = await client.list({ limit: 5 });
  const body = document.querySelector("#batches tbody");
  for (const batch of page.data) {
    const row = body.insertRow();
    for (const text of [batch.id, batch.status, `${batch.request_counts.completed}/${batch.request_counts.total}`]) {
      row.insertCell().textContent = text;
    }
  }
  let notFound = null;
  try {
    await client.retrieve("batch_does_not_exist");
  } catch (error) {
    notFound = { isBatchError: error instanceof BatchError, kind: error.kind, status: error.status };
  }
  status.textContent = `${page.data.length} batches`;
  window.__app = {
    batches: page.data.map((b) => ({ id: b.id, status: b.status, terminal: isTerminal(b) })),
    hasMore: page.has_more,
    notFound,
  };
} catch (error) {
  status.textContent = `failed: ${error}`;
  window.__fatal = `${error?.name}: ${error?.message}`;
}
