// The demo data behind `make demo`: 31 batches in the OpenAI and PPInfra dialects, some long finished
// and some moving through their states over the next few minutes (a few fail, expire or get
// cancelled), each with a real input file, so finished ones have output and error files to preview.
//
//   const mock = await startMock({ demo: true });            // real time: a few minutes of motion
//   const mock = await startMock({ demo: { speed: 20 } });   // 20× faster, for tests
//
// They are ordinary LiveBatches (lifecycle.mjs); only their clocks differ: each is built with its
// clock pinned to its creation time in the past, and a scheduled cancellation is a cancel() made
// with the clock pinned to that moment, so nothing here runs on a timer.
import { BatchStore } from './data.mjs';
import { dialectNamed } from './dialects.mjs';
import { LiveBatch } from './lifecycle.mjs';

const MIN = 60;
const HOUR = 3600;

const CHAT = '/v1/chat/completions';
const EMBED = '/v1/embeddings';
const RESPONSES = '/v1/responses';

/**
 * One batch: created `age` seconds before the mock started, one status every `step` seconds;
 * `outcome` as lifecycle.mjs plans it; `cancel` seconds after the start (negative: before it);
 * every `failEvery`-th request fails; `badLine` makes that input line unreadable (the batch fails).
 */
const BATCHES = {
  openai: [
    { age: 6 * HOUR, step: 40 * MIN, total: 800, failEvery: 40, model: 'gpt-4o-mini', metadata: { job: 'nightly-eval', team: 'search' } },
    { age: 5 * HOUR, step: 30 * MIN, total: 600, endpoint: EMBED, model: 'text-embedding-3-small', metadata: { job: 'embed-catalog', env: 'prod' } },
    { age: 4.5 * HOUR, step: 2 * MIN, total: 120, outcome: 'fail', model: 'gpt-4.1-mini', metadata: { job: 'rerank-v2' } },
    { age: 4 * HOUR, step: HOUR, total: 400, outcome: 'expire', model: 'gpt-4o', metadata: { job: 'backfill-2025' } },
    { age: 3 * HOUR, step: 20 * MIN, total: 300, cancel: -150 * MIN, model: 'gpt-4o-mini', metadata: { job: 'ab-test', owner: 'mia' } },
    { age: 2 * HOUR, step: 15 * MIN, total: 250, endpoint: RESPONSES, model: 'gpt-4.1-mini', metadata: { job: 'summaries' } },
    { age: 90 * MIN, step: 20 * MIN, total: 180, failEvery: 25, model: 'gpt-4o-mini', metadata: { job: 'translate-de', lang: 'de' } },
    { age: 60 * MIN, step: 5 * MIN, total: 60, badLine: 3, model: 'gpt-4o-mini', metadata: { job: 'import-legacy' } },
    { age: 400, step: 130, total: 90, model: 'gpt-4o-mini', metadata: { job: 'support-triage' } },
    { age: 300, step: 200, total: 500, failEvery: 50, model: 'gpt-4.1', metadata: { job: 'code-review', repo: 'api' } },
    { age: 250, step: 130, total: 700, outcome: 'expire', model: 'gpt-4o', metadata: { job: 'long-context' } },
    { age: 200, step: 150, total: 350, cancel: 70, model: 'gpt-4o-mini', metadata: { job: 'tagging', owner: 'raj' } },
    { age: 150, step: 120, total: 420, endpoint: EMBED, model: 'text-embedding-3-large', metadata: { job: 'embed-docs' } },
    { age: 120, step: 100, total: 240, failEvery: 30, model: 'gpt-4o-mini', metadata: { job: 'faq-answers' } },
    { age: 90, step: 25, total: 30, model: 'gpt-4o-mini', metadata: { job: 'quick-check' } },
    { age: 60, step: 240, total: 900, model: 'gpt-4.1-mini', metadata: { job: 'weekly-report' } },
    { age: 40, step: 60, total: 150, endpoint: RESPONSES, model: 'o4-mini', metadata: { job: 'math-eval' } },
    { age: 20, step: 15, total: 80, outcome: 'fail', model: 'gpt-4o-mini', metadata: { job: 'smoke-test' } },
    { age: 5, step: 30, total: 20, model: 'gpt-4o-mini', metadata: { job: 'canary' } },
  ],
  ppinfra: [
    { age: 8 * HOUR, step: HOUR, total: 500, model: 'deepseek/deepseek-v3', metadata: { job: 'daily-digest' } },
    { age: 7 * HOUR, step: 2 * HOUR, total: 300, outcome: 'expire', model: 'qwen/qwen3-32b', metadata: { job: 'crawl-summaries' } },
    { age: 6 * HOUR, step: 3 * MIN, total: 100, outcome: 'fail', model: 'deepseek/deepseek-r1', metadata: { job: 'reasoning-eval' } },
    { age: 5 * HOUR, step: 30 * MIN, total: 200, cancel: -4 * HOUR - 10 * MIN, model: 'qwen/qwen3-32b', metadata: { job: 'ab-test', owner: 'li' } },
    { age: 3 * HOUR, step: 25 * MIN, total: 320, failEvery: 16, model: 'deepseek/deepseek-v3', metadata: { job: 'classify-tickets' } },
    { age: 80 * MIN, step: 20 * MIN, total: 150, model: 'meta-llama/llama-3.3-70b-instruct', metadata: { job: 'rewrite' } },
    { age: 250, step: 180, total: 600, outcome: 'expire', model: 'qwen/qwen3-32b', metadata: { job: 'bulk-translate' } },
    { age: 200, step: 150, total: 260, cancel: 30, model: 'deepseek/deepseek-v3', metadata: { job: 'tagging', owner: 'chen' } },
    { age: 100, step: 80, total: 400, failEvery: 20, model: 'deepseek/deepseek-v3', metadata: { job: 'extract-entities' } },
    { age: 50, step: 110, total: 180, model: 'qwen/qwen3-32b', metadata: { job: 'qa-pairs' } },
    { age: 30, step: 70, total: 120, model: 'deepseek/deepseek-r1', metadata: { job: 'proofs' } },
    { age: 15, step: 50, total: 40, outcome: 'fail', model: 'deepseek/deepseek-v3', metadata: { job: 'schema-check' } },
  ],
};

/** The input file of a batch, as JSONL. */
function inputJsonl({ total, endpoint = CHAT, model, failEvery, badLine }) {
  const lines = [];
  for (let n = 1; n <= total; n += 1) {
    if (n === badLine) {
      lines.push('{"custom_id": "req-' + n + '", "method": "POST"');
      continue;
    }
    const body = endpoint === EMBED ? { model, input: `Document ${n}` } : { model, messages: [{ role: 'user', content: `Question ${n}` }] };
    if (failEvery && n % failEvery === 0) body.fail = true;
    lines.push(JSON.stringify({ custom_id: `req-${n}`, method: 'POST', url: endpoint, body }));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Replaces the OpenAI and PPInfra batches of `state` (server.mjs' MockState) with the demo's,
 * timed from `state.clock.now()`. `speed` divides every age and step.
 */
export function seedDemo(state, { speed = 1 } = {}) {
  if (!(speed > 0)) throw new Error(`demo speed must be positive, got ${speed}`);
  const start = state.clock.now();
  const ms = (seconds) => Math.round((seconds * 1000) / speed);
  for (const [name, specs] of Object.entries(BATCHES)) {
    const dialect = dialectNamed(name);
    const { files } = state.stores[name];
    const batches = new BatchStore([], dialect, state.clock);
    // Oldest first, since each new batch goes to the top of the list.
    for (const spec of [...specs].sort((a, b) => b.age - a.age)) {
      const createdMs = start - ms(spec.age);
      const input = files.add({
        id: state.newId('file'), filename: `${spec.metadata.job}.jsonl`, purpose: 'batch', content: inputJsonl(spec), createdMs,
      });
      let pinned = createdMs;
      const clock = { now: () => pinned ?? state.clock.now(), stepMs: Math.max(1, ms(spec.step)), pollAfterMs: state.clock.pollAfterMs };
      const metadata = { ...spec.metadata };
      if (spec.outcome) metadata.outcome = spec.outcome;
      const params = { input_file_id: input.file.id, endpoint: spec.endpoint ?? CHAT, completion_window: '24h', metadata };
      const makeFile = (content, filename) =>
        files.add({ id: state.newId('file'), filename, purpose: 'batch_output', content, createdMs: state.clock.now() }).file.id;
      const batch = new LiveBatch({ id: state.newId('batch'), dialect, params, input: input.content, clock, makeFile });
      // LiveBatch read its outcome while being built; the dashboard need not see the stage direction.
      delete metadata.outcome;
      if (spec.cancel !== undefined) {
        pinned = start + ms(spec.cancel);
        batch.cancel();
      }
      pinned = null;
      batches.prepend(batch);
    }
    state.stores[name].batches = batches;
  }
}
