// Node.js entry: reads the wasm next to this file and instantiates it synchronously. Bundled (esbuild
// --platform=node), "this file" is the bundle, so the .wasm has to be shipped beside it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { initSync } from "./llm_batches.js";

const wasm = new URL("./llm_batches_bg.wasm", import.meta.url);
let module;
try {
  module = readFileSync(wasm);
} catch (error) {
  throw new Error(
    `llm-batches: cannot read its WebAssembly at ${fileURLToPath(wasm)} (${error.code ?? error.message}); ` +
      "a bundle needs llm_batches_bg.wasm copied next to it",
    { cause: error },
  );
}
initSync({ module });

export { BatchClient, BatchError, isTerminal, validateRequests, toJsonl, verifyWebhook, usageOf, STATUSES, TERMINAL_STATUSES, PROVIDERS } from "./shell.js";
