// The Worker for the workerd results row: the floor, plain fetch + text(), split, JSON.parse.
import { parseLines } from './parse-lines.mjs';

export default {
  async fetch(request, env) {
    const fileId = new URL(request.url).searchParams.get('file');
    const res = await fetch(`${env.BASE_URL}/files/${encodeURIComponent(fileId)}/content`, { headers: { authorization: 'Bearer x' } });
    return Response.json(parseLines(await res.text()));
  },
};
