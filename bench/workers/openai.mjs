// The Worker measured for bundle size and workerd cold start: list + retrieve with the openai SDK.
import OpenAI from 'openai';

export default {
  async fetch(request, env) {
    const client = new OpenAI({ apiKey: 'x', baseURL: env.BASE_URL, maxRetries: 0 });
    if (new URL(request.url).pathname === '/list') return Response.json(await client.batches.list({ limit: 100 }));
    return Response.json(await client.batches.retrieve('bench_1'));
  },
};
