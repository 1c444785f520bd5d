// The Worker measured for bundle size and workerd cold start: list + retrieve with plain fetch.
export default {
  async fetch(request, env) {
    const headers = { authorization: 'Bearer x' };
    const path = new URL(request.url).pathname === '/list' ? '/batches?limit=100' : '/batches/bench_1';
    return Response.json(await (await fetch(`${env.BASE_URL}${path}`, { headers })).json());
  },
};
