// split + JSON.parse every line, counting (nothing parsed is kept: the kindest case for memory).
// What openai and the fetch floor do with an output file, in Node (lib/clients.mjs) and in workerd.
export function parseLines(text) {
  let count = 0;
  let errors = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line);
    count++;
    if (r.error !== null || r.response?.body?.error) errors++;
  }
  return { count, errors };
}
