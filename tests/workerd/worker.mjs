// A Worker that runs the shared scenarios inside workerd against the mock provider. It imports the
// package by name, so the bundler resolves the "workerd" export condition (the entry that imports
// the .wasm as a compiled module and instantiates it synchronously, as deployed Workers must).
//
// GET / -> { exports: [...], results: [{ name, ok, error, ms }] }. env.MOCK_URL is the mock's origin.
import * as pkg from "llm-batches";
import { runAll } from "../shared/scenarios.mjs";
import token360Expected from "../fixtures/token360_retrieve.expected.json";
import ppinfraExpected from "../fixtures/ppinfra_list_page.expected.json";

export default {
  async fetch(_request, env) {
    const results = await runAll(
      pkg,
      { mockUrl: env.MOCK_URL, fixtures: { token360Expected, ppinfraExpected } },
    );
    return Response.json({ exports: Object.keys(pkg).sort(), results });
  },
};
