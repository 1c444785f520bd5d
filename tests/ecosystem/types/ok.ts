// Every public name of llm-batches, used as a TypeScript user would, under `tsc --strict`.
// Compiled (never run) by tests/ecosystem/types.test.mjs.
import {
  BatchClient,
  BatchError,
  PROVIDERS,
  STATUSES,
  TERMINAL_STATUSES,
  isTerminal,
  toJsonl,
  validateRequests,
  verifyWebhook,
  usageOf,
  type WebhookEvent,
  type WebhookHeaders,
  type Batch,
  type BatchClientOptions,
  type BatchErrorEntry,
  type BatchErrorKind,
  type BatchPage,
  type BatchRequest,
  type BatchResult,
  type BatchResultFailed,
  type BatchResultOk,
  type BatchStatus,
  type BatchUsage,
  type ExpiresAfter,
  type JsonObject,
  type ProviderInfo,
  type ResubmitOptions,
  type SubmitAllOptions,
  type Usage,
  type ProviderName,
  type CreateBatchParams,
  type Dialect,
  type FetchLike,
  type FileObject,
  type JsonValue,
  type KnownBatchStatus,
  type ListParams,
  type RequestCounts,
  type RequestOptions,
  type SubmitOptions,
  type UploadOptions,
  type ValidationReport,
  type WaitOptions,
  type WatchOptions,
} from "llm-batches";

const fetchLike: FetchLike = (input, init) => fetch(input, init);
const dialect: Dialect = "ppinfra";
const options: BatchClientOptions = {
  apiKey: "sk-test",
  baseURL: "https://api.ppinfra.com/openai/v1",
  dialect,
  timeout: 60_000,
  maxRetries: 2,
  fetch: fetchLike,
  defaultHeaders: { "x-team": "search", "user-agent": null },
};
const client = new BatchClient(options);
const provider: ProviderName = client.provider;
const row: ProviderInfo | undefined = PROVIDERS.find((p) => p.name === provider);
console.log(row?.label, row?.keyEnv, row?.maxRequests, row?.windows.join(","), row?.files);
new BatchClient({ apiKey: "k", provider: "openai" });
const statuses: readonly KnownBatchStatus[] = STATUSES;
const terminal: readonly BatchStatus[] = TERMINAL_STATUSES;
console.log(statuses.length, terminal.includes("completed"));
const controller = new AbortController();
const requestOptions: RequestOptions = { signal: controller.signal };

/** Exhaustive over the eight statuses: adding one to the type breaks this function. */
function label(status: KnownBatchStatus): string {
  switch (status) {
    case "validating":
    case "in_progress":
    case "finalizing":
    case "cancelling":
      return "running";
    case "completed":
      return "done";
    case "failed":
    case "expired":
    case "cancelled":
      return "ended";
    default: {
      const never: never = status;
      return never;
    }
  }
}

const KNOWN: readonly KnownBatchStatus[] = ["validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled"];
function isKnown(status: BatchStatus | null): status is KnownBatchStatus {
  return (KNOWN as readonly string[]).includes(status as string);
}

function describe(batch: Batch): string {
  const counts: RequestCounts = batch.request_counts;
  const done: number = counts.completed + counts.failed;
  const created: number | null = batch.created_at;
  const errors: BatchErrorEntry[] = batch.errors?.data ?? [];
  const firstError: string | null = errors[0]?.message ?? null;
  const meta: JsonValue | undefined = batch.metadata?.job;
  const model: string | null = batch.model;
  const usage: BatchUsage | null = batch.usage;
  const cached: number | undefined = usage?.input_tokens_details.cached_tokens;
  const tokens: number = (usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0);
  const version: JsonValue | undefined = batch.version; // an unmodelled provider field passes through
  const id: string = batch.id;
  const status = isKnown(batch.status) ? label(batch.status) : `unknown (${String(batch.status)})`;
  return `${id}: ${status} ${done}/${counts.total} ${created ?? "-"} ${firstError ?? ""} ${JSON.stringify(meta)} ${model} ${tokens} ${cached} ${JSON.stringify(version)}`;
}

async function everything(): Promise<void> {
  const one: Batch = await client.retrieve("batch_01abc", requestOptions);
  console.log(describe(one), isTerminal(one), isTerminal(one.status), isTerminal("PROGRESS"), isTerminal(null));

  const params: ListParams = { limit: 20, after: "batch_x" };
  const page: BatchPage = await client.list(params, { signal: controller.signal });
  const next: string | null = page.has_more ? page.last_id : null;
  console.log(page.object, page.first_id, next, page.data.map(describe));
  for await (const batch of client.listAll({ limit: 100 })) console.log(batch.id);

  const requests: BatchRequest[] = [
    { custom_id: "r1", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] } },
  ];
  const report: ValidationReport = validateRequests(requests, { endpoint: "/v1/chat/completions" });
  if (!report.ok) for (const { line, message } of report.errors) console.error(line ?? "file", message);
  console.log(report.count, report.bytes, validateRequests(toJsonl(requests)).ok);

  const expires: ExpiresAfter = { anchor: "created_at", seconds: 86_400 };
  const upload: UploadOptions = { filename: "input.jsonl", purpose: "batch", expires_after: expires, signal: controller.signal };
  const file: FileObject = await client.uploadFile(toJsonl(requests), upload);
  await client.uploadFile(new TextEncoder().encode("{}\n"));
  await client.uploadFile(new Blob(["{}\n"]));
  await client.uploadFile(new ArrayBuffer(8));

  const create: CreateBatchParams = {
    input_file_id: file.id,
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
    metadata: { job: "nightly" },
    output_expires_after: { anchor: "created_at", seconds: 86_400 },
    provider_extension: true,
  };
  const created = await client.create(create, requestOptions);
  const cancelled: Batch = await client.cancel(created.id, requestOptions);
  console.log(cancelled.cancelling_at);

  const response: Response = await client.fileContent("file-x", requestOptions);
  console.log(response.status, await response.text());

  for await (const result of client.results(created)) {
    const r: BatchResult = result;
    if (r.error) {
      const failed: BatchResultFailed = r;
      console.warn(r.custom_id, r.error.code, r.error.message, r.line, r.raw, failed.response?.status_code);
    } else {
      const ok: BatchResultOk = r;
      const body: JsonObject = r.response.body;
      console.log(r.response.status_code, r.response.request_id, body.id, ok.line);
    }
    const source: "output" | "error" = r.source;
    console.log(source);
  }
  type Chat = { id: string; choices: { message: { content: string | null } }[] };
  for await (const r of client.results<Chat>(created)) {
    if (!r.error) console.log(r.response.body.choices[0].message.content);
  }
  for await (const result of client.results("batch_01abc", { signal: controller.signal })) console.log(result.id);

  const wait: WaitOptions = { pollInterval: 30_000, timeout: 3_600_000, signal: controller.signal, onProgress: (b) => console.log(b.status) };
  const done: Batch = await client.waitFor(created.id, wait);

  const watch: WatchOptions = {
    ids: [done.id],
    pollInterval: 60_000,
    signal: controller.signal,
    onUpdate: (b: Batch) => console.log(describe(b)),
    onError: (e: BatchError) => console.warn(e.kind, e.status),
    onCycle: () => console.log("cycle done"),
  };
  const watched: Batch[] = await client.watch(watch);
  await client.watch();
  console.log(watched.length);

  const submit: SubmitOptions = {
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
    metadata: null,
    filename: "x.jsonl",
    output_expires_after: expires,
    signal: controller.signal,
  };
  await client.submit(requests, submit);
  await client.submit(toJsonl(requests));
  const all: SubmitAllOptions = { maxRequests: 50_000, maxBytes: 100_000_000, metadata: { job: "big" } };
  const parts: Batch[] = await client.submitAll(requests, all);
  for await (const r of client.results(parts)) console.log(r.custom_id);
  const again: ResubmitOptions = { requests, metadata: { job: "retry" } };
  const retry: Batch | null = await client.resubmit(parts[0], again);
  if (retry) console.log(retry.id);
  await client.resubmit("batch_01abc");
  const tokens: Usage = await client.usage(parts);
  const single: Usage | null = usageOf(parts[0]);
  console.log(single?.total_tokens);
  console.log(tokens.requests, tokens.input_tokens, tokens.output_tokens, tokens.total_tokens, tokens.cached_tokens);
  await client.usage("batch_01abc", { signal: controller.signal });
}

everything().catch((error: unknown) => {
  if (error instanceof BatchError) {
    const kind: BatchErrorKind = error.kind;
    const name: "BatchError" = error.name;
    const status: number | null = error.status;
    const code: string | null = error.code;
    const requestId: string | null = error.requestId;
    const problems = error.errors?.map((e) => `${e.line ?? "file"}: ${e.message}`) ?? [];
    const made: Batch[] = error.batches ?? [];
    console.log(made.length);
    console.error(kind, name, status, code, requestId, error.message, error instanceof Error, problems);
  }
  throw new BatchError("made by hand", { kind: "invalid_argument" });
});

function onWebhook(raw: string, request: Request): string | null {
  const headers: WebhookHeaders = request.headers;
  const event: WebhookEvent = verifyWebhook(raw, headers, "whsec_secret", { tolerance: 300 });
  verifyWebhook(new TextEncoder().encode(raw), { "webhook-id": "wh_1", "webhook-timestamp": "1", "webhook-signature": ["v1,x"] }, "raw-secret");
  const batchId: string = event.data.id;
  return event.type === "batch.completed" ? batchId : null;
}
console.log(onWebhook);
