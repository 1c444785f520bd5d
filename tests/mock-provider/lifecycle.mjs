// How batches change over time. A batch's state is computed from the clock whenever it is looked
// at — nothing is scheduled — so no timer outlives close(), a test with its own `now` controls the
// clock exactly, and a slow machine only sees a batch further along, never one out of order.
//
// Two kinds of entries live in a BatchStore (data.mjs):
// - StaticBatch: a fixture batch in its dialect's wire shape; it never moves, but can be cancelled.
// - LiveBatch: a batch made by POST /batches; it walks its plan one step every `clock.stepMs`.

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

/** What requests left undone become in the error file when the batch ends early. */
const UNFINISHED = {
  expired: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
  cancelled: { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' },
};

const HOUR_MS = 3_600_000;

const seconds = (ms) => Math.floor(ms / 1000);

/** Any provider's spelling of a status, as one of the eight OpenAI statuses (or as sent). */
export function canonicalStatus(status) {
  const s = String(status).toLowerCase();
  return { progress: 'in_progress', canceling: 'cancelling', canceled: 'cancelled' }[s] ?? s;
}

/**
 * The requests of an input file: `{ requests: [{ line, custom_id, model, fail }], problems }`.
 * A line that is not a JSON object is a problem, which fails the batch at validation as OpenAI does.
 */
export function readRequests(content) {
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
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      problems.push({ code: 'invalid_json_line', message: 'This line is not parseable as a JSON object.', param: null, line });
      continue;
    }
    const body = request.body && typeof request.body === 'object' ? request.body : {};
    requests.push({
      line,
      custom_id: request.custom_id ?? null,
      model: typeof body.model === 'string' ? body.model : 'gpt-4o-mini',
      fail: body.fail === true,
    });
  }
  if (requests.length === 0 && problems.length === 0) {
    problems.push({ code: 'empty_file', message: 'The input file has no requests.', param: null, line: null });
  }
  return { requests, problems };
}

function windowMs(completionWindow) {
  const hours = /^(\d+)h$/.exec(completionWindow ?? '');
  return (hours ? Number(hours[1]) : 24) * HOUR_MS;
}

function responseBody(endpoint, request, createdSecs) {
  if (endpoint === '/v1/embeddings') {
    return {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.0023, -0.0091, 0.0154] }],
      model: request.model,
      usage: { prompt_tokens: 8, total_tokens: 8 },
    };
  }
  return {
    id: `chatcmpl-${request.line}`,
    object: 'chat.completion',
    created: createdSecs,
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: `Mock answer to ${request.custom_id} from ${request.model}.` },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
  };
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
  #files = null; // { output_file_id, error_file_id } once the batch has ended

  /**
   * `params` is the checked create body; `input` the input file's bytes; `dialect` an entry of
   * dialects.mjs' DIALECTS; `makeFile(content, filename)` stores an output or error file and
   * returns its id.
   */
  constructor({ id, dialect, params, input, clock, makeFile }) {
    this.id = id;
    this.#dialect = dialect;
    this.#clock = clock;
    this.#makeFile = makeFile;
    this.#createdMs = clock.now();
    this.createdMs = this.#createdMs;
    this.#params = params;
    const { requests, problems } = readRequests(input);
    this.#requests = requests;
    this.#problems = problems;
    const asked = params.metadata?.outcome;
    this.#outcome = problems.length || asked === 'fail' ? 'fail' : asked === 'expire' ? 'expire' : 'complete';
    if (asked === 'fail' && !problems.length) {
      this.#problems = [{ code: 'batch_failed', message: 'The batch failed (metadata.outcome was "fail").', param: null, line: null }];
    }
  }

  #at(step) {
    return this.#createdMs + step * this.#clock.stepMs;
  }

  /** The statuses this batch goes through, each with the time it begins. */
  #phases() {
    const plan = PLANS[this.#outcome].map(([status, step]) => ({ status, start: this.#at(step) }));
    if (this.#cancelMs === null) return plan;
    const before = plan.filter((p) => p.start <= this.#cancelMs);
    const step = this.#clock.stepMs;
    return [...before, { status: 'cancelling', start: this.#cancelMs }, { status: 'cancelled', start: this.#cancelMs + step }];
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

  /** Writes the output and error files, once, the first time the batch is seen ended. */
  #settle(status) {
    if (this.#files) return this.#files;
    const done = this.#done(Infinity);
    const createdSecs = seconds(this.#createdMs);
    const result = (request, fields) => JSON.stringify({ id: `batch_req_${this.id}_${request.line}`, custom_id: request.custom_id, ...fields });
    const requestId = (request) => `req_${this.id}_${request.line}`;
    const output = [];
    const errors = [];
    for (const [i, request] of this.#requests.entries()) {
      if (i >= done) {
        errors.push(result(request, { response: null, error: UNFINISHED[status] }));
      } else if (request.fail) {
        const message = `Mock failure of ${request.custom_id}: its body asked to fail.`;
        const body = { error: { message, type: 'invalid_request_error', param: null, code: null } };
        errors.push(result(request, { response: { status_code: 400, request_id: requestId(request), body }, error: null }));
      } else {
        const body = responseBody(this.#params.endpoint, request, createdSecs);
        output.push(result(request, { response: { status_code: 200, request_id: requestId(request), body }, error: null }));
      }
    }
    const store = (lines, kind) => (lines.length ? this.#makeFile(`${lines.join('\n')}\n`, `${this.id}_${kind}.jsonl`) : null);
    this.#files = { output_file_id: store(output, 'output'), error_file_id: store(errors, 'error') };
    return this.#files;
  }

  /** `{ batch, moving }`: the batch now, computed in the OpenAI shape and rendered in the dialect's. */
  view() {
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
    for (const phase of this.#phases().filter((p) => p.start <= now)) {
      batch.status = phase.status;
      if (STAMP[phase.status]) batch[STAMP[phase.status]] = seconds(phase.start);
    }
    const finished = this.#requests.slice(0, this.#done(now));
    const failed = finished.filter((r) => r.fail).length;
    batch.request_counts = { total: this.#requests.length, completed: finished.length - failed, failed };
    if (batch.status === 'failed') batch.errors = { object: 'list', data: structuredClone(this.#problems) };
    if (TERMINAL.has(batch.status) && batch.status !== 'failed') Object.assign(batch, this.#settle(batch.status));
    return { batch: this.#dialect.renderBatch(batch), moving: !TERMINAL.has(batch.status) };
  }
}

export class StaticBatch {
  #wire;
  #dialect;
  #clock;
  #cancelMs = null;

  constructor(wire, dialect, clock) {
    this.id = wire.id;
    this.#wire = wire;
    this.#dialect = dialect;
    this.#clock = clock;
  }

  /** Cancels it (cancelled one step later); false when it had already ended. */
  cancel() {
    if (TERMINAL.has(this.#status())) return false;
    this.#cancelMs ??= this.#clock.now();
    return true;
  }

  #status() {
    if (this.#cancelMs === null) return canonicalStatus(this.#wire.status);
    return this.#clock.now() < this.#cancelMs + this.#clock.stepMs ? 'cancelling' : 'cancelled';
  }

  /** The fixture as stored, with the cancellation laid over it in the dialect's spelling. */
  view() {
    const batch = structuredClone(this.#wire);
    if (this.#cancelMs === null) return { batch, moving: false };
    const status = this.#status();
    const { spell } = this.#dialect;
    batch.status = spell.status(status);
    // A fixture that was already cancelling keeps the time it began.
    if (canonicalStatus(this.#wire.status) !== 'cancelling') spell.setTime(batch, 'cancelling_at', seconds(this.#cancelMs));
    spell.setTime(batch, 'cancelled_at', status === 'cancelled' ? seconds(this.#cancelMs + this.#clock.stepMs) : null);
    return { batch, moving: status === 'cancelling' };
  }
}
