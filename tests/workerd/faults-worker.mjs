// A Worker that runs one row of the fault matrix (tests/shared/faults.mjs) per request, inside
// workerd, against the mock provider the Node side prepared for that row.
//
// POST / { id, params } -> runFaultRow's observation (JSON). GET / -> { exports }.
import * as pkg from "llm-batches";
import { FAULT_ROWS, runFaultRow } from "../shared/faults.mjs";

export default {
  async fetch(request) {
    if (request.method !== "POST") return Response.json({ exports: Object.keys(pkg).sort() });
    const { id, params } = await request.json();
    const row = FAULT_ROWS.find((r) => r.id === id);
    if (!row) return Response.json({ error: `no fault row ${id}` }, { status: 404 });
    return Response.json(await runFaultRow(pkg, row, params));
  },
};
