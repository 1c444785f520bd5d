// Public types of llm-batches. Hand-written and kept in step with src/api/ (the wasm exports) and js/shell.js.

/** The eight OpenAI batch statuses every provider spelling is mapped onto. */
export type KnownBatchStatus =
  | "validating"
  | "in_progress"
  | "finalizing"
  | "completed"
  | "failed"
  | "expired"
  | "cancelling"
  | "cancelled";

/**
 * A batch status. A provider's status we cannot map is kept exactly as sent (a string, or rarely
 * another JSON value), so code must tolerate values outside {@link KnownBatchStatus}.
 */
export type BatchStatus = KnownBatchStatus | (string & {});

/** The providers a client can talk to (`PROVIDERS` describes each). */
export type ProviderName =
  | "openai"
  | "azure"
  | "anthropic"
  | "mistral"
  | "gemini"
  | "together"
  | "groq"
  | "ppinfra"
  | "novita"
  | "token360"
  | "siliconflow"
  | "dashscope"
  | "zhipu"
  | "deepinfra"
  | "nebius"
  | "moonshot";

/** One row of {@link PROVIDERS}: what a provider needs and allows. */
export interface ProviderInfo {
  readonly name: ProviderName;
  /** For people: "OpenAI", "Anthropic", … */
  readonly label: string;
  /** The default `baseURL`. */
  readonly baseURL: string;
  /** The environment variable the CLI reads this provider's key from. */
  readonly keyEnv: string;
  /** How the key is sent: `"Authorization: Bearer"`, `"api-key"`, `"x-api-key"`, `"x-goog-api-key"`. */
  readonly auth: string;
  /** The `purpose` of an uploaded input file. */
  readonly purpose: string;
  /** Requests and bytes one batch may hold; `null` where the provider documents no limit. */
  readonly maxRequests: number | null;
  readonly maxBytes: number | null;
  /** Accepted `completion_window` values. */
  readonly windows: readonly string[];
  /** Whether batches carry `metadata`. */
  readonly metadata: boolean;
  /** Whether input goes through uploaded files (else requests are sent inline). */
  readonly files: boolean;
  readonly notes: string;
  /** The provider's batch API documentation. */
  readonly docs: string;
}

/** Every provider, in a fixed order. */
export declare const PROVIDERS: readonly ProviderInfo[];

/** The eight statuses, in the order of a batch's life. */
export declare const STATUSES: readonly KnownBatchStatus[];

/** The statuses after which a batch never changes again. */
export declare const TERMINAL_STATUSES: readonly ("completed" | "failed" | "expired" | "cancelled")[];

/** Which provider's spellings to expect. `"auto"` recognises them all. */
export type Dialect = "auto" | "openai" | "ppinfra" | "token360";

/** Any JSON value, as providers send them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Request counts; always present, filled from wherever the provider put them. */
export interface RequestCounts {
  total: number;
  completed: number;
  failed: number;
  [extra: string]: JsonValue;
}

/** One entry of a batch's `errors` list. */
export interface BatchErrorEntry {
  code: string | null;
  message: string | null;
  param: string | null;
  line: number | null;
  [extra: string]: JsonValue;
}

/**
 * Token usage of a batch, in OpenAI's shape (all five fields are required there). It is the
 * provider's object as sent: a provider that sends another shape is not rewritten onto this one.
 */
export type BatchUsage = {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; [extra: string]: JsonValue };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number; [extra: string]: JsonValue };
  total_tokens: number;
  [extra: string]: JsonValue;
};

/**
 * A batch, normalised onto the OpenAI wire shape (snake_case, as the official SDK). `id` and
 * `status` are always strings: an answer without them is rejected as `invalid_response`.
 */
export interface Batch {
  id: string;
  object: "batch";
  endpoint: string | null;
  status: BatchStatus;
  input_file_id: string | null;
  output_file_id: string | null;
  error_file_id: string | null;
  completion_window: string | null;
  request_counts: RequestCounts;
  /** Unix seconds, or null when unset. Likewise every `*_at` field. */
  created_at: number | null;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  metadata: { [key: string]: JsonValue } | null;
  errors: { object: "list"; data: BatchErrorEntry[] } | null;
  /** The model the batch ran, when the provider says (OpenAI since September 2025). */
  model: string | null;
  usage: BatchUsage | null;
  /** Everything else the provider sent (PPInfra's `version`, `remark`, ...), unchanged. */
  [extra: string]: JsonValue | undefined;
}

/** One page of `list`. */
export interface BatchPage {
  object: "list";
  data: Batch[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
  [extra: string]: JsonValue | Batch[] | undefined;
}

/** A `fetch`-compatible function. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface BatchClientOptions {
  /** Sent as the provider wants it (OpenAI: `Authorization: Bearer <apiKey>`); never appears in errors or logs. */
  apiKey: string;
  /** Default: the provider's (`https://api.openai.com/v1` for OpenAI). Required for Azure (your resource). */
  baseURL?: string;
  /** Azure's dated API (`"2024-10-21"`): `?api-version=` on every request, under `…/openai`. Without it, Azure's v1 API. */
  apiVersion?: string;
  /** Default `"openai"`. Sets the default `baseURL`, how the key is sent, and the API spoken. */
  provider?: ProviderName;
  /** Default `"auto"`. */
  dialect?: Dialect;
  /** Milliseconds per attempt; default 60000. */
  timeout?: number;
  /** Retries after the first attempt for reads; default 2. */
  maxRetries?: number;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Extra headers on every request; `null` removes one we would send. */
  defaultHeaders?: Record<string, string | null | undefined>;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ListParams {
  /** Page size (the provider sets the maximum; OpenAI: 100). */
  limit?: number;
  /** Start after this batch id (the previous page's `last_id`), for providers that page by cursor. */
  after?: string;
  /** A page number (Mistral, from 0) or page token (Gemini: the previous page's `nextPageToken`). */
  page?: number | string;
}

/** The file object of `POST /files`, normalised. `id` is always a string. */
export interface FileObject {
  id: string;
  object: "file";
  bytes: number | null;
  created_at: number | null;
  expires_at: number | null;
  filename: string | null;
  purpose: string | null;
  status: string | null;
  [extra: string]: JsonValue | undefined;
}

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** What every line of a results file has. */
interface BatchResultBase {
  id: string | null;
  custom_id: string | null;
  /** 1-based line number in its file. */
  line: number;
  source: "output" | "error";
  [extra: string]: JsonValue | undefined;
}

/** A request that got its answer: `response.body` is the endpoint's response object. */
export interface BatchResultOk<Body extends JsonObject = JsonObject> extends BatchResultBase {
  response: { status_code: number | null; request_id: string | null; body: Body; [extra: string]: JsonValue };
  error: null;
}

/** A request that failed, or a line we could not read. */
export interface BatchResultFailed extends BatchResultBase {
  response: { status_code: number | null; request_id: string | null; body: JsonValue; [extra: string]: JsonValue } | null;
  /**
   * The line's `error`, else the error in `response.body.error`. `code` is `"invalid_line"` for a
   * line that is not a JSON object (its text is in `raw`), `"invalid_response"` for a line with
   * neither an error nor a response body object.
   */
  error: { code: string | null; message: string | null; [extra: string]: JsonValue };
  /** The text of an `invalid_line`. */
  raw?: string;
}

/**
 * One line of a batch's output or error file; narrows on `error`:
 * `if (r.error) … else r.response.body`. `Body` types the response body of the endpoint (it is
 * not checked: a line's body is whatever the provider sent).
 */
export type BatchResult<Body extends JsonObject = JsonObject> = BatchResultOk<Body> | BatchResultFailed;

export interface CreateBatchParams {
  input_file_id: string;
  /** e.g. `/v1/chat/completions`, `/v1/embeddings`, `/v1/responses`. */
  endpoint: string;
  /** Default `"24h"`. */
  completion_window?: string;
  metadata?: Record<string, string> | null;
  output_expires_after?: ExpiresAfter;
  /** Provider-specific fields are sent as given. */
  [extra: string]: JsonValue | undefined;
}

/** When a file or a batch's output expires: `seconds` after `anchor`. */
export type ExpiresAfter = {
  anchor: "created_at";
  seconds: number;
};

export interface UploadOptions extends RequestOptions {
  /** Default `"input.jsonl"`. */
  filename?: string;
  /** Default: the provider's purpose for batch input (`"batch"`). */
  purpose?: string;
  /** The file expires this long after upload (OpenAI: 3600 to 2592000 seconds). */
  expires_after?: ExpiresAfter;
}

export interface WaitOptions extends RequestOptions {
  /** Milliseconds between polls; default 30000. A server's `openai-poll-after-ms` takes precedence. */
  pollInterval?: number;
  /** Give up (a `timeout` BatchError) after this many milliseconds. */
  timeout?: number;
  /** Called with the batch after every poll. If it throws, `waitFor` rejects with that error. */
  onProgress?: (batch: Batch) => void;
}

export interface WatchOptions extends RequestOptions {
  /** The batches to watch; without ids, the newest page of batches is watched until `signal` aborts. */
  ids?: string[];
  /** Milliseconds between cycles; default 30000. Failing cycles back off up to 5 minutes. */
  pollInterval?: number;
  /** Called once for each batch when first seen and again whenever it changed. If it throws, `watch` rejects with that error. */
  onUpdate?: (batch: Batch) => void;
  /** Called for each failure that does not end the watch (network, timeouts, 429, 5xx, a watched id that is 404). */
  onError?: (error: BatchError) => void;
  /** Called after every cycle that read all it meant to, changed or not ("updated N s ago"). If it throws, `watch` rejects with that error. */
  onCycle?: () => void;
}

/** One request line of a batch input file. */
export interface BatchRequest {
  custom_id: string;
  method: "POST";
  url: string;
  /** `model` may be left out where the endpoint does not need one (`/v1/moderations`, …). */
  body: { model?: string; [key: string]: JsonValue | undefined };
}

export interface ValidationReport {
  ok: boolean;
  /** Request lines found. */
  count: number;
  /** Size of the JSONL text in bytes. */
  bytes: number;
  /** How many problems there are, listed in `errors` or not. */
  problems: number;
  /** `line` is null for a problem with the whole file. The first 1,000 problems, then one entry
   * (line null) saying how many more there are. */
  errors: { line: number | null; message: string }[];
}

export interface SubmitOptions extends RequestOptions {
  /** Default: the `url` of the requests. */
  endpoint?: string;
  completion_window?: string;
  metadata?: Record<string, string> | null;
  /** The name of the uploaded input file; default `"input.jsonl"`. */
  filename?: string;
  /** Sent to `create`: when the batch's output and error files expire. */
  output_expires_after?: ExpiresAfter;
  /** Other fields are sent to `create` as given. */
  [extra: string]: JsonValue | AbortSignal | undefined;
}

export type BatchErrorKind =
  | "api"
  | "connection"
  | "timeout"
  | "aborted"
  | "invalid_response"
  | "invalid_argument"
  | "invalid_signature";

export declare class BatchError extends Error {
  readonly name: "BatchError";
  readonly kind: BatchErrorKind;
  /** HTTP status, when the provider answered. */
  readonly status: number | null;
  /** The provider's error code (`not_found`, `NOT_FOUND`, ...). */
  readonly code: string | null;
  /** The provider's `x-request-id`. */
  readonly requestId: string | null;
  /** For `submit`'s invalid requests: every problem found, as `validateRequests` reports them. */
  readonly errors?: { line: number | null; message: string }[];
  /** For a `submitAll` that failed part-way: the batches made before it. */
  readonly batches?: Batch[];
  constructor(
    message: string,
    fields: {
      kind: BatchErrorKind;
      status?: number | null;
      code?: string | null;
      requestId?: string | null;
      errors?: { line: number | null; message: string }[];
      batches?: Batch[];
    },
  );
}

export declare class BatchClient {
  /** @throws {BatchError} `invalid_argument` for a missing key or a bad option. */
  constructor(options: BatchClientOptions);
  /** The provider this client talks to. */
  readonly provider: ProviderName;
  /** One batch. Rejects with a {@link BatchError}. */
  retrieve(id: string, options?: RequestOptions): Promise<Batch>;
  /** One page of batches, newest first. Rejects with a {@link BatchError}. */
  list(params?: ListParams, options?: RequestOptions): Promise<BatchPage>;
  /** Every batch, following `has_more`/`last_id`; a broken cursor ends it with an `invalid_response` error. */
  listAll(params?: ListParams, options?: RequestOptions): AsyncIterableIterator<Batch>;
  /** Creates a batch. Never sent twice unless the first answer proves nothing was created. */
  create(params: CreateBatchParams, options?: RequestOptions): Promise<Batch>;
  cancel(id: string, options?: RequestOptions): Promise<Batch>;
  uploadFile(content: string | Uint8Array | ArrayBuffer | Blob, options?: UploadOptions): Promise<FileObject>;
  /** The raw `Response` of `GET /files/{id}/content`, body unread. */
  fileContent(fileId: string, options?: RequestOptions): Promise<Response>;
  /** The output file's results, then the error file's, streamed with bounded memory. */
  results<Body extends JsonObject = JsonObject>(
    batchOrId: string | Pick<Batch, "output_file_id" | "error_file_id"> | (string | Batch)[],
    options?: RequestOptions,
  ): AsyncIterableIterator<BatchResult<Body>>;
  /** Polls until the batch is terminal and resolves with it. */
  waitFor(id: string, options?: WaitOptions): Promise<Batch>;
  /**
   * Keeps batches fresh: each cycle lists at most ⌈pending/100⌉ pages and retrieves only watched batches
   * not on them; terminal batches are no longer polled. Resolves with the watched batches (in `ids`
   * order) once all are terminal; rejects with kind `aborted` when `signal` aborts.
   */
  watch(options?: WatchOptions): Promise<Batch[]>;
  /** validateRequests, then uploadFile, then create. Invalid requests send nothing (an `invalid_argument` error with `errors`). */
  submit(requests: string | BatchRequest[], options?: SubmitOptions): Promise<Batch>;
  /**
   * A job of any size: checked once, then split into as few batches as the provider's limits (or
   * `maxRequests` / `maxBytes`, lower) allow, in order, each `metadata` gaining `part: "i/n"`,
   * submitted one after another. A failure part-way rejects with the batches already made in
   * `err.batches`.
   */
  submitAll(requests: string | BatchRequest[], options?: SubmitAllOptions): Promise<Batch[]>;
  /**
   * Submits, as one new batch, exactly the requests of an ended batch that have no successful result
   * (failed, expired, cancelled, never run), read from its input file, or from `requests` when
   * given (needed where there is no input file: Anthropic, Gemini, or one that expired). Resolves
   * `null` when nothing is left to do. By default the new batch keeps the old one's endpoint and
   * metadata, plus `metadata.resubmit_of`.
   */
  resubmit(batch: string | Batch, options?: ResubmitOptions): Promise<Batch | null>;
  /** Tokens of one or more batches, added up: `batch.usage` where the provider sends it, else every result's usage. */
  usage(batches: string | Batch | (string | Batch)[], options?: RequestOptions): Promise<Usage>;
}

export interface SubmitAllOptions extends SubmitOptions {
  /** At most this many requests per batch (the provider's limit when lower). */
  maxRequests?: number;
  /** At most this many bytes of JSONL per batch (the provider's limit when lower). */
  maxBytes?: number;
}

export interface ResubmitOptions extends RequestOptions {
  /** The batch's requests, where its input file cannot be read. */
  requests?: string | BatchRequest[];
  /** Default: the batch's. */
  endpoint?: string;
  completion_window?: string;
  /** Default: the batch's metadata and `resubmit_of: <its id>`. */
  metadata?: Record<string, string> | null;
  filename?: string;
  output_expires_after?: ExpiresAfter;
  /** Other fields are sent to `create` as given. */
  [extra: string]: JsonValue | AbortSignal | BatchRequest[] | undefined;
}

/** Tokens added up over batches (Anthropic's input counts its cache reads and writes; Gemini's output its thinking). */
export interface Usage {
  /** Requests whose tokens were counted. */
  requests: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cached_tokens: number;
}

/** Checks a batch input (JSONL text or request objects) line by line; nothing is sent. */
export declare function validateRequests(
  input: string | BatchRequest[] | object[],
  options?: {
    endpoint?: string;
    /** Whose rules and limits; default `"openai"`. */
    provider?: ProviderName;
    /** The input is for `submitAll`: the per-batch limits on requests and bytes are not problems. */
    split?: boolean;
  },
): ValidationReport;

/** JSONL text of request objects, one per line, ending with a newline. */
export declare function toJsonl(requests: object[]): string;

/** Whether a status (any provider spelling) or a batch's status is terminal: completed, failed, expired, cancelled. */
export declare function isTerminal(statusOrBatch: BatchStatus | Batch | null | undefined): boolean;

/** A webhook event as the provider sent it (OpenAI: `batch.completed`, `batch.failed`, `batch.expired`, `batch.cancelled`, …). */
export interface WebhookEvent {
  id: string;
  type: "batch.completed" | "batch.failed" | "batch.expired" | "batch.cancelled" | (string & {});
  /** Unix seconds: when the event happened (not when it was delivered). */
  created_at: number;
  /** For batch events, `data.id` is the batch id. */
  data: { id: string; [extra: string]: JsonValue };
  [extra: string]: JsonValue;
}

/** A request's headers: a `Headers` object, or a plain object such as Node's `req.headers` (names in any case). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Checks a webhook delivery signed the Standard Webhooks way (OpenAI's): `webhook-id`,
 * `webhook-timestamp`, `webhook-signature`, HMAC-SHA256 with a `whsec_…` secret (any other secret:
 * its bytes). Pass the body exactly as received. Synchronous.
 * @throws {BatchError} kind `invalid_signature`: a missing header, no matching signature, a
 *   timestamp more than `tolerance` seconds (default 300; `Infinity`: no check) from now, a body that
 *   is not an event. Kind `invalid_argument` for an empty secret. The secret never appears in it.
 */
export declare function verifyWebhook(
  body: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: string,
  options?: { tolerance?: number },
): WebhookEvent;

/** The tokens of one batch (its `usage`) or one result (its response body's usage, in any provider's shape), as `client.usage` adds them up; `null` when it has none. */
export declare function usageOf(batchOrResult: Batch | BatchResult): Usage | null;
