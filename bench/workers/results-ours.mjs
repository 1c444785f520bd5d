// The Worker for the workerd results row: reads an output file to the end with llm-batches
// (streamed through the Rust JSONL decoder), counting lines and failed ones.
import { BatchClient } from 'llm-batches';

export default {
  async fetch(request, env) {
    const client = new BatchClient({ apiKey: 'x', baseURL: env.BASE_URL, maxRetries: 0 });
    const fileId = new URL(request.url).searchParams.get('file');
    let count = 0;
    let errors = 0;
    for await (const r of client.results({ output_file_id: fileId })) {
      count++;
      if (r.error !== null) errors++;
    }
    return Response.json({ count, errors });
  },
};
