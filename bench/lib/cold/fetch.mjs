// Cold start in Node (run.mjs times it from spawn to "done"): no client, one fetch + json().
const res = await fetch(`${process.argv[2]}/batches/bench_1`, { headers: { authorization: 'Bearer x' } });
const batch = await res.json();
if (batch.id !== 'bench_1') throw new Error('unexpected answer');
process.stdout.write('done\n');
