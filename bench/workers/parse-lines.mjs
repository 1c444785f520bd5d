// split + JSON.parse every line, counting (as lib/clients.mjs does in Node).
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
