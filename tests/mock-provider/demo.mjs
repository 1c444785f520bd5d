// The demo data behind `make demo`: 31 batches in the OpenAI and PPInfra dialects and 12 in the
// Anthropic and Mistral ones, some long finished and some moving through their states over the
// next few minutes (a few fail, expire or get cancelled), each with real requests, so finished
// ones have results to preview.
//
//   const mock = await startMock({ demo: true });            // real time: a few minutes of motion
//   const mock = await startMock({ demo: { speed: 20 } });   // 20× faster, for tests
//   const mock = await startMock({ demo: { usage: true, history: 124 } }); // 143 OpenAI batches, with model and usage
//
// `usage: true` has the OpenAI batches report `model` and `usage` as OpenAI's do since September
// 2025 (the tokens of the requests that succeeded so far, as their results count them).
// `history: N` puts N more OpenAI batches behind the 19, created 6.5 to 26 hours before start (in
// real time, whatever the speed, since their 24 h windows are real): most ended long ago
// (completed, some failed, expired or cancelled), and every third of the oldest 39 is still
// running (job `reindex-shard-…`), the oldest of them past its deadline.
//
// They are ordinary LiveBatches (lifecycle.mjs); only their clocks differ: each is built with its
// clock pinned to its creation time in the past, and a scheduled cancellation is a cancel() made
// with the clock pinned to that moment, so nothing here runs on a timer. The Anthropic and Mistral
// batches are made by their dialects' own create routes, on such a clock.
import { fileMaker } from './api.mjs';
import { BatchStore } from './data.mjs';
import { dialectNamed } from './dialects.mjs';
import { LiveBatch } from './lifecycle.mjs';
import { EMBEDDING_TOKENS, USAGE } from './results.mjs';

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

/**
 * Anthropic and Mistral: the same kind of spec (`model`, `failEvery`, `outcome`, `cancel`); these
 * dialects have no batch metadata for an outcome, so the first request carries it (`mock_outcome`).
 */
const ROUTED = {
  anthropic: [
    { age: 5 * HOUR, step: 30 * MIN, total: 120, failEvery: 30, model: 'claude-sonnet-4-5' },
    { age: 3 * HOUR, step: 20 * MIN, total: 60, outcome: 'expire', model: 'claude-haiku-4-5' },
    { age: 2 * HOUR, step: 10 * MIN, total: 40, cancel: -105 * MIN, model: 'claude-sonnet-4-5' },
    { age: 300, step: 150, total: 200, failEvery: 40, model: 'claude-opus-4-1' },
    { age: 120, step: 90, total: 80, cancel: -30, model: 'claude-haiku-4-5' },
    { age: 10, step: 60, total: 25, model: 'claude-sonnet-4-5' },
  ],
  mistral: [
    { age: 6 * HOUR, step: 40 * MIN, total: 300, failEvery: 50, model: 'mistral-small-latest', metadata: { job_type: 'nightly' } },
    { age: 4 * HOUR, step: 3 * MIN, total: 50, outcome: 'fail', model: 'mistral-small-latest', metadata: { job_type: 'import' } },
    { age: 3 * HOUR, step: 45 * MIN, total: 200, outcome: 'expire', model: 'mistral-large-latest', metadata: { job_type: 'backfill' } },
    { age: 2 * HOUR, step: 30 * MIN, total: 100, cancel: -75 * MIN, model: 'mistral-small-latest', metadata: { job_type: 'ab-test' } },
    { age: 200, step: 120, total: 400, endpoint: EMBED, model: 'mistral-embed', metadata: { job_type: 'embed-docs' } },
    { age: 30, step: 90, total: 60, cancel: 120, model: 'open-mistral-nemo', metadata: { job_type: 'tagging' } },
  ],
};

/** Where `history` spreads its batches: created this long before start, newest to oldest. */
const HISTORY_NEWEST = 6.5 * HOUR;
const HISTORY_OLDEST = 26 * HOUR;
/** Of the oldest this many history batches, every third is still running. */
const HISTORY_RUNNING_SPAN = 39;
const HISTORY_JOBS = [
  ['daily-digest', 'gpt-4o-mini', CHAT],
  ['embed-catalog', 'text-embedding-3-small', EMBED],
  ['summaries', 'gpt-4.1-mini', RESPONSES],
  ['translate', 'gpt-4o-mini', CHAT],
  ['classify', 'gpt-4o', CHAT],
  ['support-triage', 'gpt-4.1-mini', CHAT],
];

/**
 * The specs of `n` history batches, newest first, in real seconds (`real: true`). Deterministic:
 * the same `n` always gives the same batches.
 */
export function historySpecs(n) {
  const specs = [];
  const spacing = n > 1 ? (HISTORY_OLDEST - HISTORY_NEWEST) / (n - 1) : 0;
  for (let i = 0; i < n; i += 1) {
    const fromOldest = n - 1 - i;
    const age = Math.round(HISTORY_NEWEST + i * spacing);
    const total = 20 + ((i * 53) % 30) * 10;
    if (fromOldest < HISTORY_RUNNING_SPAN && fromOldest % 3 === 0) {
      // In progress since `f` of its age: a step longer than that, so it has not finished yet.
      const f = 0.55 + 0.1 * ((fromOldest / 3) % 4);
      const shard = String(fromOldest / 3 + 1).padStart(2, '0');
      specs.push({ real: true, age, step: Math.round(age * f), total, model: 'gpt-4o-mini', metadata: { job: `reindex-shard-${shard}`, team: 'search' } });
      continue;
    }
    const [job, model, endpoint] = HISTORY_JOBS[i % HISTORY_JOBS.length];
    const spec = { real: true, age, step: 20 * MIN, total, model, endpoint, metadata: { job: `${job}-${String(n - i).padStart(3, '0')}` } };
    if (i % 10 === 7) spec.outcome = 'fail';
    // Expired halfway through, at the end of its window where it is old enough to have one behind it.
    else if (i % 13 === 5) Object.assign(spec, { outcome: 'expire', step: Math.min(12 * HOUR, Math.round(age / 2.2)) });
    else if (i % 17 === 11) Object.assign(spec, { step: 2 * HOUR, cancel: -Math.round(age * 0.8) });
    else if (i % 4 === 1) spec.failEvery = 20;
    specs.push(spec);
  }
  return specs;
}

/**
 * A LiveBatch that also says `model` and `usage`, where OpenAI puts them: `usage` counts the
 * requests that succeeded so far with the tokens their answers report (results.mjs).
 */
class ReportingBatch extends LiveBatch {
  #model;

  constructor({ model, ...rest }) {
    super(rest);
    this.#model = model;
  }

  view(ctx) {
    const view = super.view(ctx);
    const { metadata, ...batch } = view.batch;
    const succeeded = batch.request_counts.completed;
    const embed = batch.endpoint === EMBED;
    const input = succeeded * (embed ? EMBEDDING_TOKENS : USAGE.input);
    const output = embed ? 0 : succeeded * USAGE.output;
    const usage = {
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + output,
    };
    const { id, object, endpoint, ...later } = batch;
    return { ...view, batch: { id, object, endpoint, model: this.#model, ...later, usage, metadata } };
  }
}

/** What request `n` of a routed spec asks for beyond its question. */
function asks({ failEvery, outcome }, n) {
  return { ...(failEvery && n % failEvery === 0 ? { fail: true } : {}), ...(n === 1 && outcome ? { mock_outcome: outcome } : {}) };
}

const numbered = (total, make) => Array.from({ length: total }, (_, i) => make(i + 1));

/** Each routed dialect's create body for a spec; Mistral's names an input file it stores first. */
const CREATE_BODY = {
  anthropic: (spec) => ({
    requests: numbered(spec.total, (n) => ({
      custom_id: `req-${n}`,
      params: { model: spec.model, max_tokens: 512, messages: [{ role: 'user', content: `Question ${n}` }], ...asks(spec, n) },
    })),
  }),
  mistral: (spec, { files, newId }, createdMs) => {
    const file = files.add({ id: newId('file'), filename: `${spec.metadata.job_type}.jsonl`, purpose: 'batch', content: mistralJsonl(spec), createdMs, upload: true });
    return { input_files: [file.meta.id], endpoint: spec.endpoint ?? CHAT, model: spec.model, metadata: spec.metadata };
  },
};

/** A Mistral input file: `{ custom_id, body }` lines. */
function mistralJsonl(spec) {
  const body = (n) => (spec.endpoint === EMBED ? { input: `Document ${n}` } : { messages: [{ role: 'user', content: `Question ${n}` }] });
  return `${numbered(spec.total, (n) => JSON.stringify({ custom_id: `req-${n}`, body: { ...body(n), ...asks(spec, n) } })).join('\n')}\n`;
}

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
 * A clock pinned at `createdMs` until `release()`, then the mock's own, with the spec's step:
 * `pinAt(ms)` moves the pin (to make a cancellation at that moment).
 */
function pinnedClock(state, createdMs, stepMs) {
  let pinned = createdMs;
  const clock = { now: () => pinned ?? state.clock.now(), stepMs: Math.max(1, stepMs), pollAfterMs: state.clock.pollAfterMs };
  return { clock, pinAt: (ms) => { pinned = ms; }, release: () => { pinned = null; } };
}

/** Oldest first, since each new batch goes to the top of the list. */
const oldestFirst = (specs) => [...specs].sort((a, b) => b.age - a.age);

/**
 * Replaces the OpenAI, PPInfra, Anthropic and Mistral batches of `state` (server.mjs' MockState)
 * with the demo's, timed from `state.clock.now()`. `speed` divides every age and step (but those
 * of `history`); `usage` and `history` as described at the top.
 */
export function seedDemo(state, { speed = 1, usage = false, history = 0 } = {}) {
  if (!(speed > 0)) throw new Error(`demo speed must be positive, got ${speed}`);
  if (!Number.isInteger(history) || history < 0) throw new Error(`demo history must be a whole number of batches, got ${history}`);
  const start = state.clock.now();
  const ms = (seconds, real = false) => Math.round((seconds * 1000) / (real ? 1 : speed));
  for (const [name, demoSpecs] of Object.entries(BATCHES)) {
    const dialect = dialectNamed(name);
    const { files } = state.stores[name];
    const batches = new BatchStore([], dialect, state.clock);
    const specs = name === 'openai' ? [...historySpecs(history), ...demoSpecs] : demoSpecs;
    const Batch = usage && name === 'openai' ? ReportingBatch : LiveBatch;
    for (const spec of oldestFirst(specs)) {
      const createdMs = start - ms(spec.age, spec.real);
      const input = files.add({
        id: state.newId('file'), filename: `${spec.metadata.job}.jsonl`, purpose: 'batch', content: inputJsonl(spec), createdMs,
      });
      const { clock, pinAt, release } = pinnedClock(state, createdMs, ms(spec.step, spec.real));
      const metadata = { ...spec.metadata };
      if (spec.outcome) metadata.outcome = spec.outcome;
      const params = { input_file_id: input.file.id, endpoint: spec.endpoint ?? CHAT, completion_window: '24h', metadata };
      const makeFile = fileMaker({ files, newId: state.newId, clock: state.clock });
      const batch = new Batch({ id: state.newId('batch'), dialect, params, input: input.content, clock, makeFile, model: spec.model });
      // LiveBatch read its outcome while being built; the dashboard need not see the stage direction.
      delete metadata.outcome;
      if (spec.cancel !== undefined) {
        pinAt(start + ms(spec.cancel, spec.real));
        batch.cancel();
      }
      release();
      batches.prepend(batch);
    }
    state.stores[name].batches = batches;
  }
  for (const [name, specs] of Object.entries(ROUTED)) seedRouted(state, dialectNamed(name), specs, { start, ms });
}

/** Anthropic's and Mistral's demo batches, made by their create routes on pinned clocks. */
function seedRouted(state, dialect, specs, { start, ms }) {
  const batches = new BatchStore([], dialect, state.clock);
  const route = dialect.routes.find((r) => r.create);
  const context = state.context(dialect);
  for (const spec of oldestFirst(specs)) {
    const createdMs = start - ms(spec.age);
    const { clock, pinAt, release } = pinnedClock(state, createdMs, ms(spec.step));
    const body = Buffer.from(JSON.stringify(CREATE_BODY[dialect.name](spec, context, createdMs)));
    route.handle({ ...context, batches, clock, params: {}, query: {}, headers: {}, body });
    const [batch] = batches.slice(0, 1);
    if (spec.cancel !== undefined) {
      pinAt(start + ms(spec.cancel));
      batch.cancel();
    }
    release();
  }
  state.stores[dialect.name].batches = batches;
}
