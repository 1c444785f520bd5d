// The Worker measured for bundle size and workerd cold start: list + retrieve with llm-batches.
import { BatchClient } from 'llm-batches';

export default {
  async fetch(request, env) {
    const client = new BatchClient({ apiKey: 'x', baseURL: env.BASE_URL, maxRetries: 0 });
    if (new URL(request.url).pathname === '/list') return Response.json(await client.list({ limit: 100 }));
    return Response.json(await client.retrieve('bench_1'));
  },
};
