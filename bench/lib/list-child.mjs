// Child process for the `list` measurements: the three clients in one process, interleaved round
// by round (the starting client rotates, so none always runs right after another's garbage), a
// gc() before each client's turn. Prints one JSON object: per-call milliseconds of every measured
// round, per client. Run by run.mjs as
//   node --expose-gc lib/list-child.mjs BASE_URL '{"limit":100,"calls":50,"warmup":3,"rounds":15}'
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CLIENTS, load } from './clients.mjs';

const [baseURL, configText] = process.argv.slice(2);
const { limit, calls, warmup, rounds, dialect = 'openai' } = JSON.parse(configText);
const clients = Object.fromEntries(await Promise.all(CLIENTS.map(async (name) => [name, await load(name, baseURL, { dialect })])));

// A page the clients normalise must come out the same from each: the JS normaliser is checked
// against llm-batches, so the comparison times the same work.
if (dialect !== 'openai') {
  const pages = Object.fromEntries(await Promise.all(CLIENTS.map(async (name) => [name, (await clients[name].list(limit)).data])));
  for (const name of CLIENTS) assert.deepStrictEqual(pages[name], pages.ours, `${name}'s ${dialect} page differs from llm-batches'`);
}

const samples = Object.fromEntries(CLIENTS.map((name) => [name, []]));
for (let round = 0; round < warmup + rounds; round++) {
  for (let k = 0; k < CLIENTS.length; k++) {
    const name = CLIENTS[(round + k) % CLIENTS.length];
    const client = clients[name];
    globalThis.gc();
    let seen = 0;
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) seen += (await client.list(limit)).data.length;
    const perCall = (performance.now() - t0) / calls;
    if (seen !== limit * calls) throw new Error(`${name}: expected ${limit * calls} batches, got ${seen}`);
    if (round >= warmup) samples[name].push(perCall);
  }
}
process.stdout.write(`${JSON.stringify({ limit, calls, warmup, rounds, dialect, perCallMs: samples })}\n`);
