// The three clients under test, behind one shape so every measurement runs the same steps:
//   ours     llm-batches (../pkg through the root's node_modules link)
//   openai   the official SDK, default fetch transport: the module BENCH_OPENAI names (default
//            `openai`, the 7.x pin; `openai6` is 6.x, for Node 20, which 7.x no longer supports)
//   fetch    the floor: the platform's fetch + res.json() / res.text(), no client at all
// Only the chosen client's module is imported, so a child process carries no other library.
import { parseLines } from '../workers/parse-lines.mjs';
import { normalisePage } from './ppinfra.mjs';

export const CLIENTS = ['ours', 'openai', 'fetch'];
export const OPENAI_MODULE = process.env.BENCH_OPENAI || 'openai';

/** Counts the lines of an Anthropic results file, and those whose request did not succeed. */
function countAnthropic(text) {
  let count = 0;
  let errors = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    count++;
    if (JSON.parse(line).result?.type !== 'succeeded') errors++;
  }
  return { count, errors };
}

/**
 * `{ readAll(batchId) }` over an ended Anthropic batch at `origin` (the server's /anthropic/v1):
 * llm-batches' `results`, @anthropic-ai/sdk's `messages.batches.results` in the `openai` slot (it
 * streams the JSONL too), and the baseline fetching `results_url` whole.
 */
async function loadAnthropic(name, origin) {
  if (name === 'ours') {
    const { BatchClient } = await import('llm-batches');
    const client = new BatchClient({ provider: 'anthropic', apiKey: 'x', baseURL: `${origin}/anthropic/v1`, maxRetries: 0 });
    return {
      async readAll(batchId) {
        let count = 0;
        let errors = 0;
        for await (const r of client.results(batchId)) {
          count++;
          if (r.error !== null) errors++;
        }
        return { count, errors };
      },
    };
  }
  if (name === 'openai') {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    const client = new Anthropic({ apiKey: 'x', baseURL: `${origin}/anthropic`, maxRetries: 0 });
    return {
      async readAll(batchId) {
        let count = 0;
        let errors = 0;
        for await (const r of await client.messages.batches.results(batchId)) {
          count++;
          if (r.result.type !== 'succeeded') errors++;
        }
        return { count, errors };
      },
    };
  }
  const headers = { 'x-api-key': 'x', 'anthropic-version': '2023-06-01' };
  return {
    async readAll(batchId) {
      const batch = await (await fetch(`${origin}/anthropic/v1/messages/batches/${batchId}`, { headers })).json();
      return countAnthropic(await (await fetch(batch.results_url, { headers })).text());
    },
  };
}

/**
 * `{ list(limit), retrieve(id), readAll(fileId) }` for `name` against `baseURL` (…/v1). With
 * `dialect: 'ppinfra'`, `list` reads the server's PPInfra pages: llm-batches with its `ppinfra`
 * provider, the other two through the plain-JS normaliser a user of the SDK would write.
 */
export async function load(name, baseURL, { dialect = 'openai' } = {}) {
  if (dialect === 'anthropic') return loadAnthropic(name, baseURL.replace(/\/v1$/, ''));
  const ppinfra = dialect === 'ppinfra';
  if (ppinfra) baseURL = baseURL.replace(/\/v1$/, '/ppinfra/v1');
  if (name === 'ours') {
    const { BatchClient } = await import('llm-batches');
    const client = new BatchClient({ apiKey: 'x', baseURL, maxRetries: 0, ...(ppinfra ? { provider: 'ppinfra' } : {}) });
    return {
      list: (limit) => client.list({ limit }),
      retrieve: (id) => client.retrieve(id),
      // Streams the output file through the Rust JSONL decoder; memory holds one partial line.
      async readAll(fileId) {
        let count = 0;
        let errors = 0;
        for await (const r of client.results({ output_file_id: fileId })) {
          count++;
          if (r.error !== null) errors++;
        }
        return { count, errors };
      },
    };
  }
  if (name === 'openai') {
    const { default: OpenAI } = await import(OPENAI_MODULE);
    const client = new OpenAI({ apiKey: 'x', baseURL, maxRetries: 0 });
    return {
      // Awaiting the PagePromise gives the first page object; no auto-pagination.
      list: ppinfra ? async (limit) => normalisePage(await client.batches.list({ limit })) : (limit) => client.batches.list({ limit }),
      retrieve: (id) => client.batches.retrieve(id),
      // What the SDK offers for an output file: the whole body as text, then one JSON.parse a line.
      async readAll(fileId) {
        const text = await (await client.files.content(fileId)).text();
        return parseLines(text);
      },
    };
  }
  if (name === 'fetch') {
    const headers = { authorization: 'Bearer x' };
    const get = async (path) => {
      const res = await fetch(`${baseURL}${path}`, { headers });
      if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
      return res;
    };
    return {
      list: async (limit) => {
        const page = await (await get(`/batches?limit=${limit}`)).json();
        return ppinfra ? normalisePage(page) : page;
      },
      retrieve: async (id) => (await get(`/batches/${encodeURIComponent(id)}`)).json(),
      readAll: async (fileId) => parseLines(await (await get(`/files/${encodeURIComponent(fileId)}/content`)).text()),
    };
  }
  throw new Error(`unknown client ${name}`);
}
