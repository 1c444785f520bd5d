// What each dialect's provider "has": its batches, in list order, and its files. Fixtures are read from
// tests/fixtures at start (never copied here) so the mock and the native tests cannot drift apart.
import { readFileSync } from 'node:fs';
import { DIALECTS } from './dialects.mjs';
import { FileStore } from './files.mjs';
import { StaticBatch, openaiShape } from './lifecycle.mjs';

const FIXTURES = new URL('../fixtures/', import.meta.url);

function readFixtureText(name) {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

function readFixture(name) {
  return JSON.parse(readFixtureText(name));
}

/**
 * One provider's batches. Store order is list order (newest first), which is why the store keeps
 * an array next to the id index: creation prepends, and cancellation and the clock change entries
 * in place (lifecycle.mjs), so both stay in step here. Entries are StaticBatch or LiveBatch; their
 * `view()` is what the provider sends now.
 */
export class BatchStore {
  #order = [];
  #byId = new Map();

  /** `batches` in the dialect's wire shape, newest first. */
  constructor(batches, dialect, clock) {
    for (const batch of batches) this.#index(new StaticBatch(batch, dialect, clock));
    this.#order = [...this.#byId.values()];
  }

  #index(entry) {
    if (this.#byId.has(entry.id)) throw new Error(`duplicate batch id ${entry.id}`);
    this.#byId.set(entry.id, entry);
  }

  /** A new batch goes first: lists are newest first. */
  prepend(entry) {
    this.#index(entry);
    this.#order.unshift(entry);
  }

  get size() {
    return this.#order.length;
  }

  get(id) {
    return this.#byId.get(id);
  }

  /** Position in list order, or -1; the `after` cursor is resolved through this. */
  indexOf(id) {
    const entry = this.#byId.get(id);
    return entry === undefined ? -1 : this.#order.indexOf(entry);
  }

  slice(start, end) {
    return this.#order.slice(start, end);
  }
}

// ---- OpenAI: 25 generated batches covering every status --------------------------------------

const STATUSES = ['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'];
const ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings', '/v1/responses'];
const OPENAI_COUNT = 25;
const NEWEST = 1795200000; // 2026-11-22, near the PPInfra fixture's dates
const SPACING = 5400; // seconds between two consecutive batches
const DAY = 86400;

function metadataFor(i, n) {
  return [{ job: `nightly-${n}` }, null, {}, { team: 'search', run: String(i) }][i % 4];
}

/** Counts vary with the index but stay reproducible run after run. */
function countsFor(i) {
  const total = 10 + ((i * 37) % 90) * 10;
  return { total, failed: i % 3, partial: Math.floor(total * 0.4) };
}

function usageFor(completed) {
  const input = completed * 120;
  const output = completed * 45;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

/** What each status adds to a freshly created batch: the timestamps and counts it implies. */
const LIFECYCLE = {
  validating: () => ({ request_counts: { total: 0, completed: 0, failed: 0 } }),
  in_progress: ({ c, total, failed, partial }) => ({
    in_progress_at: c + 60,
    request_counts: { total, completed: partial, failed },
  }),
  finalizing: ({ c, total, failed }) => ({
    in_progress_at: c + 60,
    finalizing_at: c + 3000,
    request_counts: { total, completed: total - failed, failed },
  }),
  completed: ({ c, n, total, failed }) => ({
    in_progress_at: c + 60,
    finalizing_at: c + 3000,
    completed_at: c + 3600,
    output_file_id: `file_oai_out_${n}`,
    error_file_id: failed > 0 ? `file_oai_err_${n}` : null,
    request_counts: { total, completed: total - failed, failed },
    model: 'gpt-4o-mini-2024-07-18',
    usage: usageFor(total - failed),
  }),
  failed: ({ c }) => ({
    failed_at: c + 30,
    errors: {
      object: 'list',
      data: [{ code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: 2 }],
    },
    request_counts: { total: 0, completed: 0, failed: 0 },
  }),
  expired: ({ c, n, total, partial }) => ({
    in_progress_at: c + 60,
    expired_at: c + DAY,
    output_file_id: `file_oai_out_${n}`,
    error_file_id: `file_oai_err_${n}`,
    request_counts: { total, completed: partial, failed: total - partial },
    model: 'gpt-4o-2024-08-06',
    usage: usageFor(partial),
  }),
  cancelling: ({ c, total, failed, partial }) => ({
    in_progress_at: c + 60,
    cancelling_at: c + 1800,
    request_counts: { total, completed: partial, failed },
  }),
  cancelled: ({ c, n, total, failed, partial }) => ({
    in_progress_at: c + 60,
    cancelling_at: c + 1800,
    cancelled_at: c + 1860,
    output_file_id: `file_oai_out_${n}`,
    request_counts: { total, completed: partial, failed },
  }),
};

function openaiBatch(i) {
  const n = String(i).padStart(3, '0');
  const status = STATUSES[i % STATUSES.length];
  const c = NEWEST - i * SPACING;
  const base = openaiShape({
    id: `batch_oai_${n}`,
    endpoint: ENDPOINTS[i % ENDPOINTS.length],
    input_file_id: `file_oai_in_${n}`,
    completion_window: '24h',
    status,
    created_at: c,
    expires_at: c + DAY,
    request_counts: null,
    metadata: metadataFor(i, n),
  });
  return { ...base, ...LIFECYCLE[status]({ c, n, ...countsFor(i) }) };
}

function openaiBatches() {
  return Array.from({ length: OPENAI_COUNT }, (_, i) => openaiBatch(i));
}

// ---- token360: the fixture plus a few of its neighbours --------------------------------------

// token360 leaves out the timestamps that are not set yet (see the fixture), so these do too.
const TOKEN360_EXTRA = [
  {
    id: 'batch_02val',
    object: 'batch',
    endpoint: '/v1/chat/completions',
    status: 'validating',
    input_file_id: 'file_t360_in_5',
    completion_window: '24h',
    request_counts: { total: 0, completed: 0, failed: 0 },
    created_at: 1710200000,
    expires_at: 1710286400,
    metadata: {},
    errors: null,
  },
  {
    id: 'batch_02run',
    object: 'batch',
    endpoint: '/v1/chat/completions',
    status: 'in_progress',
    input_file_id: 'file_t360_in_4',
    output_file_id: null,
    error_file_id: null,
    completion_window: '24h',
    request_counts: { total: 500, completed: 180, failed: 2 },
    created_at: 1710100000,
    in_progress_at: 1710100060,
    expires_at: 1710186400,
    metadata: { job: 'eval' },
    errors: null,
  },
  {
    id: 'batch_00fail',
    object: 'batch',
    endpoint: '/v1/embeddings',
    status: 'failed',
    input_file_id: 'file_t360_in_3',
    output_file_id: null,
    error_file_id: null,
    completion_window: '24h',
    request_counts: { total: 0, completed: 0, failed: 0 },
    created_at: 1709900000,
    failed_at: 1709900030,
    expires_at: 1709986400,
    metadata: null,
    errors: {
      object: 'list',
      data: [{ code: 'invalid_request', message: "Line 1: missing 'custom_id'.", param: 'custom_id', line: 1 }],
    },
  },
  {
    id: 'batch_00exp',
    object: 'batch',
    endpoint: '/v1/chat/completions',
    status: 'expired',
    input_file_id: 'file_t360_in_2',
    output_file_id: 'file_t360_out_2',
    error_file_id: 'file_t360_err_2',
    completion_window: '24h',
    request_counts: { total: 40, completed: 31, failed: 9 },
    created_at: 1709800000,
    in_progress_at: 1709800060,
    expired_at: 1709886400,
    expires_at: 1709886400,
    metadata: { job: 'backfill' },
    errors: null,
  },
  {
    id: 'batch_00cxl',
    object: 'batch',
    endpoint: '/v1/chat/completions',
    status: 'cancelled',
    input_file_id: 'file_t360_in_1',
    output_file_id: null,
    error_file_id: null,
    completion_window: '24h',
    request_counts: { total: 12, completed: 4, failed: 0 },
    created_at: 1709700000,
    in_progress_at: 1709700060,
    cancelled_at: 1709700900,
    expires_at: 1709786400,
    metadata: { job: 'smoke' },
    errors: null,
  },
];

function token360Batches() {
  const all = [readFixture('token360_retrieve.json'), ...structuredClone(TOKEN360_EXTRA)];
  return all.sort((a, b) => b.created_at - a.created_at);
}

// ---- PPInfra: exactly the fixture page's batches, in its order --------------------------------

function ppinfraBatches() {
  return readFixture('ppinfra_list_page.json').data;
}

// ---- the other providers: their fixture pages, exactly --------------------------------------
// Each list fixture is what the provider's list route answers with its default parameters (Groq's
// in two pages); the single-batch fixtures are members of those lists.

/** Gemini lists leave out inline responses, so its store takes that batch from its own fixture. */
function geminiBatches() {
  const full = readFixture('gemini_batch_succeeded.json');
  return readFixture('gemini_list_page.json').operations.map((op) => (op.name === full.name ? full : op));
}

const FIXTURE_BATCHES = {
  openai: openaiBatches,
  token360: token360Batches,
  ppinfra: ppinfraBatches,
  groq: () => [...readFixture('groq_list_page.json').data, ...readFixture('groq_list_page_2.json').data],
  azure: () => readFixture('azure_list_page.json').data,
  anthropic: () => readFixture('anthropic_list_page.json').data,
  mistral: () => readFixture('mistral_list_page.json').data,
  gemini: geminiBatches,
  together: () => readFixture('together_list.json'),
};

/** Result files of fixture batches, stored under the id the dialect's result route looks up. */
const FIXTURE_FILES = {
  anthropic: [{ id: 'msgbatch_013Zva2CMHLNnXjNJJKqJ2EF/results', fixture: 'anthropic_results.jsonl', kind: 'output' }],
  gemini: [{ id: 'batch-o08hk76gv328ihxcssjsgwt3g6omtfysxi46', fixture: 'gemini_responses.jsonl', kind: 'output', filename: 'batch-o08hk76gv328ihxcssjsgwt3g6omtfysxi46' }],
};

/** 2024-09-24 and thereabouts: fixture files are as old as the batches they belong to. */
const FIXTURE_FILE_MS = Date.UTC(2024, 8, 24);

/**
 * Fresh stores for every dialect: `{ [dialect]: { batches: BatchStore, files: FileStore, sessions } }`
 * (`sessions`: uploads under way, for Gemini's resumable protocol). Called at start and on reset,
 * so no state leaks between tests.
 */
export function createStores(clock) {
  return Object.fromEntries(
    DIALECTS.map((dialect) => {
      const files = new FileStore({ render: dialect.renderFile, clock });
      for (const { id, fixture, kind, filename = `${id}.jsonl` } of FIXTURE_FILES[dialect.name] ?? []) {
        files.add({ id, filename, purpose: 'batch_output', content: readFixtureText(fixture), createdMs: FIXTURE_FILE_MS, kind });
      }
      const batches = new BatchStore(FIXTURE_BATCHES[dialect.name](), dialect, clock);
      return [dialect.name, { batches, files, sessions: new Map() }];
    }),
  );
}
