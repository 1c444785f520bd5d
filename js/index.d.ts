// Public types of llm-batches. Hand-written and kept in step with src/api.rs and js/shell.js.

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

/** A batch, normalised onto the OpenAI wire shape (snake_case, as the official SDK). */
export interface Batch {
  id: string | null;
  object: "batch";
  endpoint: string | null;
  status: BatchStatus | null;
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
  /** Everything else the provider sent (`model`, `usage`, PPInfra's `version`, `remark`, ...), unchanged. */
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
  /** Sent as `Authorization: Bearer <apiKey>`; never appears in errors or logs. */
  apiKey: string;
  /** Default `https://api.openai.com/v1`. PPInfra: `https://api.ppinfra.com/openai/v1`; token360: `https://api.token360.ai/v1`. */
  baseURL?: string;
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
  /** Start after this batch id (the previous page's `last_id`). */
  after?: string;
}

export type BatchErrorKind = "api" | "connection" | "timeout" | "aborted" | "invalid_response" | "invalid_argument";

export declare class BatchError extends Error {
  readonly name: "BatchError";
  readonly kind: BatchErrorKind;
  /** HTTP status, when the provider answered. */
  readonly status: number | null;
  /** The provider's error code (`not_found`, `NOT_FOUND`, ...). */
  readonly code: string | null;
  /** The provider's `x-request-id`. */
  readonly requestId: string | null;
  constructor(
    message: string,
    fields: { kind: BatchErrorKind; status?: number | null; code?: string | null; requestId?: string | null },
  );
}

export declare class BatchClient {
  /** @throws {BatchError} `invalid_argument` for a missing key or a bad option. */
  constructor(options: BatchClientOptions);
  /** One batch. Rejects with a {@link BatchError}. */
  retrieve(id: string, options?: RequestOptions): Promise<Batch>;
  /** One page of batches, newest first. Rejects with a {@link BatchError}. */
  list(params?: ListParams, options?: RequestOptions): Promise<BatchPage>;
}

/** Whether a status (any provider spelling) or a batch's status is terminal: completed, failed, expired, cancelled. */
export declare function isTerminal(statusOrBatch: BatchStatus | Batch | null | undefined): boolean;
