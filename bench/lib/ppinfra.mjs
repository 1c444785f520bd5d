// What a user of the `openai` SDK has to write to read PPInfra's batches in the OpenAI shape that
// llm-batches hands out: the plain-JS normaliser of the fair comparison. It gives the same objects
// as llm-batches on the bench's PPInfra pages (list-child.mjs checks that on every run).
const TIMES = ['in_progress_at', 'expires_at', 'finalizing_at', 'completed_at', 'failed_at', 'expired_at', 'cancelling_at', 'cancelled_at'];

/** Seconds from a number, a numeric string or an ISO date; `{}`, `""` and the rest are unset. */
function seconds(value) {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '') return null;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** One PPInfra batch in the OpenAI shape. */
export function normaliseBatch(raw) {
  const { total, completed, failed, ...b } = raw;
  for (const key of ['created_at', ...TIMES]) b[key] = seconds(b[key]);
  b.status = b.status === 'PROGRESS' ? 'in_progress' : String(b.status).toLowerCase();
  for (const key of ['output_file_id', 'error_file_id']) if (b[key] === '') b[key] = null;
  b.errors = typeof b.errors === 'string' && b.errors !== ''
    ? { object: 'list', data: [{ code: null, message: b.errors, param: null, line: null }] }
    : typeof b.errors === 'object' ? b.errors : null;
  b.request_counts ??= { total: total ?? 0, completed: completed ?? 0, failed: failed ?? 0 };
  b.model ??= null;
  b.usage ??= null;
  return b;
}

/** A list page with its batches normalised. */
export function normalisePage(page) {
  return { object: 'list', data: page.data.map(normaliseBatch), first_id: page.first_id ?? null, last_id: page.last_id ?? null, has_more: Boolean(page.has_more) };
}
