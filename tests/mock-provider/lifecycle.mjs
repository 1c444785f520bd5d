// How batches change over time. A batch's state is computed from the clock whenever it is looked
// at — nothing is scheduled — so no timer outlives close(), a test with its own `now` controls the
// clock exactly, and a slow machine only sees a batch further along, never one out of order.
//
// Every provider's batch moves the same way: it is computed here in one shape, OpenAI's (its eight
// statuses, `*_at` stamps, request counts), and its dialect renders it as its provider sends it
// (`dialect.renderBatch(batch, facts)`). When it ends, each request's outcome is decided here too,
// once (succeeded, errored, expired, cancelled, or failed with its batch), and the dialect writes
// those outcomes in its provider's result format (`dialect.settle`, see results.mjs).
//
// Two kinds of entries live in a BatchStore (data.mjs):
// - StaticBatch: a fixture batch in its dialect's wire shape; it never moves, but can be cancelled.
// - LiveBatch: a batch made by a create route; it walks its plan one step every `clock.stepMs`.
import { isObject, seconds } from './shapes.mjs';

/** `clock = { now: () => ms, stepMs, pollAfterMs }`, shared by every entry of a mock. */

export const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** Where each status records when it began. */
const STAMP = {
  in_progress: 'in_progress_at',
  finalizing: 'finalizing_at',
  completed: 'completed_at',
  failed: 'failed_at',
  expired: 'expired_at',
  cancelling: 'cancelling_at',
  cancelled: 'cancelled_at',
};

/** Each outcome's statuses and the step (after creation) at which each begins. */
const PLANS = {
  complete: [['validating', 0], ['in_progress', 1], ['finalizing', 2], ['completed', 3]],
  fail: [['validating', 0], ['failed', 1]],
  // An expiring batch gets through half its requests before the window closes.
  expire: [['validating', 0], ['in_progress', 1], ['expired', 2]],
};
const SHARE_DONE = { complete: 1, fail: 0, expire: 0.5 };

const HOUR_MS = 3_600_000;

/** Any provider's spelling of a status, as one of the eight OpenAI statuses (or as sent). */
export function canonicalStatus(status) {
  const s = String(status).toLowerCase();
  return { progress: 'in_progress', canceling: 'cancelling', canceled: 'cancelled' }[s] ?? s;
}

/**
 * An input line as OpenAI writes it, `{ custom_id, method, url, body }` (Mistral's and Together's
 * `{ custom_id, body }` read the same): the request's `custom_id`, `model`, whether it asked to
 * fail (`body.fail`), the batch outcome it asks for (`body.mock_outcome`) and its body.
 * A dialect's `readLine` returns the same fields for its own line shape, and may add `failure`,
 * the message of a request that fails for a reason of its own.
 */
export function openaiLine(request) {
  const body = isObject(request.body) ? request.body : {};
  return {
    custom_id: request.custom_id ?? null,
    model: typeof body.model === 'string' ? body.model : 'gpt-4o-mini',
    fail: body.fail === true,
    outcome: body.mock_outcome,
    body,
  };
}

/**
 * The requests of an input file: `{ requests: [{ line, custom_id, model, fail, … }], problems }`.
 * A line that is not a JSON object is a problem, which fails the batch at validation as OpenAI does.
 */
export function readRequests(content, readLine = openaiLine) {
  const requests = [];
  const problems = [];
  for (const [i, raw] of content.toString('utf8').split('\n').entries()) {
    const text = raw.replace(/\r$/, '');
    if (text.trim() === '') continue;
    let request;
    try {
      request = JSON.parse(text);
    } catch {
      request = null;
    }
    const line = i + 1;
    if (!isObject(request)) {
      problems.push({ code: 'invalid_json_line', message: 'This line is not parseable as a JSON object.', param: null, line });
      continue;
    }
    requests.push({ line, ...readLine(request) });
  }
  if (requests.length === 0 && problems.length === 0) {
    problems.push({ code: 'empty_file', message: 'The input file has no requests.', param: null, line: null });
  }
  return { requests, problems };
}

/** Requests sent inline (objects the route has checked), numbered and read like file lines. */
export function inlineRequests(items, readLine) {
  return items.map((item, i) => ({ line: i + 1, ...readLine(item) }));
}

/** `24h` -> 24, `7d` -> 168; null for anything else. */
export function windowHours(completionWindow) {
  const match = /^(\d+)([hd])$/.exec(completionWindow ?? '');
  if (!match) return null;
  return Number(match[1]) * (match[2] === 'd' ? 24 : 1);
}

function windowMs(completionWindow) {
  return (windowHours(completionWindow) ?? 24) * HOUR_MS;
}

/** An OpenAI-shaped batch, every field present in OpenAI's order, nothing set beyond `fields`. */
export function openaiShape({ id, endpoint, input_file_id, completion_window, status, created_at, expires_at, request_counts, metadata }) {
  return {
    id,
    object: 'batch',
    endpoint,
    errors: null,
    input_file_id,
    completion_window,
    status,
    output_file_id: null,
    error_file_id: null,
    created_at,
    in_progress_at: null,
    expires_at,
    finalizing_at: null,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts,
    metadata,
  };
}

/** A finished request succeeded or errored (it asked to fail); an unfinished one shares its batch's end. */
function outcomeOf(request, finished, status) {
  if (!finished) return status;
  return request.fail ? 'errored' : 'succeeded';
}

/** Steps from a cancel to `cancelled`: 1, or 0 for providers with no in-between status. */
const cancelSteps = (dialect) => dialect.cancelSteps ?? 1;

export class LiveBatch {
  #dialect;
  #clock;
  #makeFile;
  #createdMs;
  #params;
  #requests;
  #problems;
  #outcome;
  #cancelMs = null;
  #settled = null; // what dialect.settle wrote, once the batch has ended

  /**
   * `params` is the checked create body in OpenAI's terms (`endpoint`, `completion_window`,
   * `metadata`, `input_file_id`, plus whatever the dialect's rendering needs); `input` the input
   * file's bytes, or `requests` already read (inline requests); `dialect` an entry of dialects.mjs'
   * DIALECTS; `makeFile(content, filename, { kind, id })` stores a result file and returns its id.
   */
  constructor({ id, dialect, params, input, requests, clock, makeFile }) {
    this.id = id;
    this.#dialect = dialect;
    this.#clock = clock;
    this.#makeFile = makeFile;
    this.#createdMs = clock.now();
    this.createdMs = this.#createdMs;
    this.#params = params;
    const readLine = dialect.readLine ? (line) => dialect.readLine(line, params) : openaiLine;
    const read = requests ? { requests, problems: [] } : readRequests(input, readLine);
    this.#requests = read.requests;
    // A dialect may refuse more at validation (Azure: one deployment per batch).
    const problems = [...read.problems, ...(dialect.checkRequests?.(read.requests, params) ?? [])];
    // Providers without batch metadata ask for an outcome in a request instead.
    const fromMetadata = params.metadata?.outcome;
    const asked = fromMetadata ?? read.requests.find((r) => r.outcome === 'fail' || r.outcome === 'expire')?.outcome;
    this.#outcome = problems.length || asked === 'fail' ? 'fail' : asked === 'expire' ? 'expire' : 'complete';
    if (asked === 'fail' && !problems.length) {
      const why = fromMetadata === 'fail' ? 'metadata.outcome was "fail"' : `a request's mock_outcome was "fail"`;
      problems.push({ code: 'batch_failed', message: `The batch failed (${why}).`, param: null, line: null });
    }
    this.#problems = problems;
  }

  #at(step) {
    return this.#createdMs + step * this.#clock.stepMs;
  }

  /** The statuses this batch goes through, each with the time it begins. */
  #phases() {
    const plan = PLANS[this.#outcome].map(([status, step]) => ({ status, start: this.#at(step) }));
    if (this.#cancelMs === null) return plan;
    const before = plan.filter((p) => p.start <= this.#cancelMs);
    const end = this.#cancelMs + cancelSteps(this.#dialect) * this.#clock.stepMs;
    return [...before, { status: 'cancelling', start: this.#cancelMs }, { status: 'cancelled', start: end }];
  }

  #status(now) {
    const begun = this.#phases().filter((p) => p.start <= now);
    return (begun.at(-1) ?? { status: 'validating' }).status;
  }

  /** Requests finished by `now`: they grow through in_progress and stop when it is cancelled. */
  #done(now) {
    const step = PLANS[this.#outcome].find(([status]) => status === 'in_progress')?.[1];
    if (step === undefined) return 0;
    const until = this.#cancelMs === null ? now : Math.min(now, this.#cancelMs);
    const share = Math.min(1, Math.max(0, (until - this.#at(step)) / this.#clock.stepMs));
    return Math.floor(this.#requests.length * SHARE_DONE[this.#outcome] * share);
  }

  /** Cancels it (again is fine: still cancelling); false when it had already ended. */
  cancel() {
    const now = this.#clock.now();
    if (TERMINAL.has(this.#status(now))) return false;
    this.#cancelMs ??= now;
    return true;
  }

  /** What the dialect wrote when the batch ended (`{ output_file_id, error_file_id, … }`), or null. */
  get settled() {
    return this.#settled;
  }

  /** Decides every request's outcome and has the dialect write them, once, the first time the batch is seen ended. */
  #settle(status) {
    if (this.#settled) return this.#settled;
    const done = this.#done(Infinity);
    const outcomes = this.#requests.map((request, i) => ({ request, outcome: outcomeOf(request, i < done, status) }));
    this.#settled = this.#dialect.settle({
      id: this.id, status, outcomes, params: this.#params, problems: this.#problems, createdMs: this.#createdMs, makeFile: this.#makeFile,
    });
    return this.#settled;
  }

  /**
   * `{ batch, moving }`: the batch now, computed in the OpenAI shape and rendered in the dialect's.
   * `ctx` (`{ origin }` of the request, …) is handed to the rendering with the facts behind the batch.
   */
  view(ctx = {}) {
    const now = this.#clock.now();
    const { endpoint, completion_window: completionWindow = '24h', metadata = null, input_file_id: inputFileId } = this.#params;
    const batch = openaiShape({
      id: this.id,
      endpoint,
      input_file_id: inputFileId,
      completion_window: completionWindow,
      status: 'validating',
      created_at: seconds(this.#createdMs),
      expires_at: seconds(this.#createdMs + windowMs(completionWindow)),
      request_counts: { total: this.#requests.length, completed: 0, failed: 0 },
      metadata,
    });
    const times = {}; // when each status so far began, in ms, for providers that send finer times
    for (const phase of this.#phases().filter((p) => p.start <= now)) {
      batch.status = phase.status;
      times[phase.status] = phase.start;
      if (STAMP[phase.status]) batch[STAMP[phase.status]] = seconds(phase.start);
    }
    const finished = this.#requests.slice(0, this.#done(now));
    const failed = finished.filter((r) => r.fail).length;
    batch.request_counts = { total: this.#requests.length, completed: finished.length - failed, failed };
    if (batch.status === 'failed') batch.errors = { object: 'list', data: structuredClone(this.#problems) };
    const settled = TERMINAL.has(batch.status) ? this.#settle(batch.status) : null;
    if (settled) Object.assign(batch, { output_file_id: settled.output_file_id ?? null, error_file_id: settled.error_file_id ?? null });
    const facts = { ...ctx, id: this.id, params: this.#params, createdMs: this.#createdMs, times, requests: this.#requests, problems: this.#problems, settled };
    return { batch: this.#dialect.renderBatch(batch, facts), moving: !TERMINAL.has(batch.status) };
  }
}

export class StaticBatch {
  #wire;
  #dialect;
  #clock;
  #cancelMs = null;

  constructor(wire, dialect, clock) {
    this.id = dialect.idOf ? dialect.idOf(wire) : wire.id;
    this.#wire = wire;
    this.#dialect = dialect;
    this.#clock = clock;
  }

  /** Cancels it (cancelled one step later, or at once); false when it had already ended. */
  cancel() {
    if (TERMINAL.has(this.#status())) return false;
    this.#cancelMs ??= this.#clock.now();
    return true;
  }

  #wireStatus() {
    return this.#dialect.statusOf ? this.#dialect.statusOf(this.#wire) : canonicalStatus(this.#wire.status);
  }

  #cancelledMs() {
    return this.#cancelMs + cancelSteps(this.#dialect) * this.#clock.stepMs;
  }

  #status() {
    if (this.#cancelMs === null) return this.#wireStatus();
    return this.#clock.now() < this.#cancelledMs() ? 'cancelling' : 'cancelled';
  }

  /** No results were written for a fixture: its dialect serves fixture results, if any, by id. */
  get settled() {
    return null;
  }

  /**
   * The fixture as stored, with the cancellation laid over it in the dialect's spelling
   * (`dialect.overlayCancel`), and whatever the dialect adapts to the request (`renderStatic`).
   */
  view(ctx = {}) {
    const batch = structuredClone(this.#wire);
    const render = (b) => (this.#dialect.renderStatic ? this.#dialect.renderStatic(b, ctx) : b);
    if (this.#cancelMs === null) return { batch: render(batch), moving: false };
    const status = this.#status();
    this.#dialect.overlayCancel(batch, {
      status,
      cancelMs: this.#cancelMs,
      cancelledMs: this.#cancelledMs(),
      // A fixture that was already cancelling keeps the time it began.
      wasCancelling: this.#wireStatus() === 'cancelling',
    });
    return { batch: render(batch), moving: status === 'cancelling' };
  }
}
