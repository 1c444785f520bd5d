// What a finished batch's requests produced, as its provider writes it. lifecycle.mjs decides each
// request's outcome once — `succeeded`, `errored` (its body asked to fail), `expired` / `cancelled`
// (not reached before the batch ended) or `failed` (its batch failed) — and hands the list to the
// dialect's `settle`, which writes result files in its provider's format and returns
// `{ output_file_id, error_file_id, … }`. The pieces every format shares live here, so that an
// answer reads the same whichever provider sent it.
import { seconds } from './shapes.mjs';

/** The text every provider's mock model answers with. */
export const answerText = (request) => `Mock answer to ${request.custom_id} from ${request.model}.`;

/** Why a request failed: its own reason (`failure`) or the `fail: true` it carried. */
export const failureMessage = (request) => request.failure ?? `Mock failure of ${request.custom_id}: its body asked to fail.`;

/** Token counts of every mock answer. */
export const USAGE = { input: 10, output: 8 };

/** The input tokens of every mock embedding (embeddings have no output tokens). */
export const EMBEDDING_TOKENS = 8;

/**
 * Stores `lines` as a JSONL file through the batch's `makeFile` and returns its id, or writes
 * nothing and returns null when there are none (unless `keepEmpty`: Azure's empty error file).
 */
export function storeLines(makeFile, lines, filename, { keepEmpty = false, ...options } = {}) {
  if (!lines.length && !keepEmpty) return null;
  return makeFile(lines.length ? `${lines.join('\n')}\n` : '', filename, options);
}

/** A chat completion (an embedding list for `/v1/embeddings`), as the OpenAI family answers. */
export function openaiBody(endpoint, request, createdSecs) {
  if (endpoint === '/v1/embeddings') {
    return {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.0023, -0.0091, 0.0154] }],
      model: request.model,
      usage: { prompt_tokens: EMBEDDING_TOKENS, total_tokens: EMBEDDING_TOKENS },
    };
  }
  return {
    id: `chatcmpl-${request.line}`,
    object: 'chat.completion',
    created: createdSecs,
    model: request.model,
    choices: [{ index: 0, message: { role: 'assistant', content: answerText(request) }, finish_reason: 'stop' }],
    usage: { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output },
  };
}

/** What requests left undone become in an OpenAI error file when the batch ends early. */
const UNFINISHED = {
  expired: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
  cancelled: { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' },
};

/**
 * The OpenAI family's `settle`: an output file of the requests that succeeded, in input order, and
 * an error file of those that asked to fail and then those left undone. A failed batch writes
 * nothing. `decorate(body, request)` adds a provider's extras to each answer (Groq's `x_groq`,
 * Azure's content filter results); `keepEmptyErrorFile` writes the error file even when empty.
 */
export function openaiSettle({ decorate = (body) => body, keepEmptyErrorFile = false } = {}) {
  return ({ id, status, outcomes, params, createdMs, makeFile }) => {
    if (status === 'failed') return { output_file_id: null, error_file_id: null };
    const createdSecs = seconds(createdMs);
    const result = (request, fields) => JSON.stringify({ id: `batch_req_${id}_${request.line}`, custom_id: request.custom_id, ...fields });
    const requestId = (request) => `req_${id}_${request.line}`;
    const output = [];
    const errors = [];
    for (const { request, outcome } of outcomes) {
      if (outcome === 'succeeded') {
        const body = decorate(openaiBody(params.endpoint, request, createdSecs), request);
        output.push(result(request, { response: { status_code: 200, request_id: requestId(request), body }, error: null }));
      } else if (outcome === 'errored') {
        const body = { error: { message: failureMessage(request), type: 'invalid_request_error', param: null, code: null } };
        errors.push(result(request, { response: { status_code: 400, request_id: requestId(request), body }, error: null }));
      } else {
        errors.push(result(request, { response: null, error: UNFINISHED[outcome] }));
      }
    }
    return {
      output_file_id: storeLines(makeFile, output, `${id}_output.jsonl`, { kind: 'output' }),
      error_file_id: storeLines(makeFile, errors, `${id}_error.jsonl`, { kind: 'error', keepEmpty: keepEmptyErrorFile }),
    };
  };
}
