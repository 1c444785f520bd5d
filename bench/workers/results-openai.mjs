// The Worker for the workerd results row: what the openai SDK offers for an output file, the
// whole body as text, then split and one JSON.parse a line (counted, not kept).
import OpenAI from 'openai';
import { parseLines } from './parse-lines.mjs';

export default {
  async fetch(request, env) {
    const client = new OpenAI({ apiKey: 'x', baseURL: env.BASE_URL, maxRetries: 0 });
    const fileId = new URL(request.url).searchParams.get('file');
    return Response.json(parseLines(await (await client.files.content(fileId)).text()));
  },
};
