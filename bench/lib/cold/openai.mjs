// Cold start in Node (run.mjs times it from spawn to "done"): import, construct, first retrieve.
const { default: OpenAI } = await import(process.env.BENCH_OPENAI || 'openai');

const batch = await new OpenAI({ apiKey: 'x', baseURL: process.argv[2], maxRetries: 0 }).batches.retrieve('bench_1');
if (batch.id !== 'bench_1') throw new Error('unexpected answer');
process.stdout.write('done\n');
