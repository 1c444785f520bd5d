// The `llm-batches` CLI (pkg/cli.mjs, the package's bin) run as a user runs it: a child process
// with the key in its environment, against the mock provider. Output is not a terminal here, so
// this checks the plain lines, --json, the exit codes and that the key is never printed; two tests
// run it under script(1) to see the live table and progress bars a terminal gets.
//
//   node --test tests/ecosystem/cli.test.mjs
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BatchClient } from 'llm-batches';
import { startMock } from '../mock-provider/server.mjs';
import { pkgDir } from './helpers.mjs';

const CLI = path.join(pkgDir, 'cli.mjs');
const KEY = 'sk-cli-test-7f3a9d2e';
const everything = []; // every byte any run printed, checked for the key at the end

let mock;
let dir;

const request = (id, extra = {}) => ({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [], ...extra } });
const jsonl = (rows) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

/** The peak resident memory of process `pid` so far (Linux: VmHWM), in bytes; 0 when unknown. */
async function peakRss(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Runs the CLI; resolves `{ code, signal, stdout, stderr, peak }` (`peak`: its peak RSS, sampled). `env` replaces the defaults given. */
function cli(args, { env = {}, input, onStdout, timeout = 20_000, command = [process.execPath, CLI] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: dir,
      // The mock is not OpenAI's host: its key comes from LLM_BATCHES_API_KEY, as a proxy's would.
      env: { PATH: process.env.PATH, TZ: 'UTC', LLM_BATCHES_API_KEY: KEY, LLM_BATCHES_BASE_URL: `${mock.url}/openai/v1`, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const sampler = setInterval(async () => {
      peak = Math.max(peak, await peakRss(child.pid));
    }, 50);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      everything.push(stdout, stderr);
      resolve({ code, signal, stdout, stderr, peak });
    });
    child.stdin.end(input ?? '');
  });
}

/** A loopback port nothing listens on. */
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  mock = await startMock({ stepMs: 50 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'llm-batches-cli-'));
  await writeFile(path.join(dir, 'ok.jsonl'), jsonl([request('r1'), request('r2'), request('r3', { fail: true })]));
  await writeFile(
    path.join(dir, 'bad.jsonl'),
    jsonl([request('a'), 'not json', { ...request('a'), method: 'GET' }]),
  );
});

beforeEach(() => mock.reset());

after(async () => {
  await mock?.close();
  await rm(dir, { recursive: true, force: true });
});

test('cli: --help documents the commands and exit codes; --version is the package version', async () => {
  const help = await cli(['--help'], { env: { LLM_BATCHES_API_KEY: '' } });
  assert.equal(help.code, 0);
  for (const word of ['list', 'get ID', 'watch [ID...]', 'submit FILE.jsonl', 'results ID', 'cancel ID', '--provider', '--api-key-env', '--json']) {
    assert.ok(help.stdout.includes(word), `help mentions ${word}`);
  }
  for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '130']) assert.match(help.stdout, new RegExp(`^  ${code}`, 'm'));
  const version = await cli(['--version']);
  const pkg = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(version.stdout, `${pkg.version}\n`);
});

test('cli: usage errors exit 2 and send nothing', async () => {
  const cases = [
    [[]],
    [['bogus']],
    [['get']],
    [['get', 'a', 'b']],
    [['list', '--limit', 'ten']],
    [['list', '--nope']],
    [['get', 'x', '--out', 'f']],
    [['watch', '--interval', 'soon']],
    [['list', '--provider', 'acme']],
    [['list'], { LLM_BATCHES_API_KEY: '' }],
    [['list', '--api-key-env', 'MY_KEY']],
    // A provider's own key never goes to another host.
    [['list'], { LLM_BATCHES_API_KEY: '', OPENAI_API_KEY: KEY }],
    [['list', '--provider', 'ppinfra', '--base-url', 'http://127.0.0.1:9/v1'], { LLM_BATCHES_API_KEY: '', PPINFRA_API_KEY: KEY }],
    [['list', '--provider', 'ppinfra'], { LLM_BATCHES_API_KEY: '', LLM_BATCHES_BASE_URL: '', OPENAI_API_KEY: KEY }],
    [['submit', 'missing.jsonl']],
    [['get', '..']], // the library refuses the id before sending
  ];
  for (const [args, env] of cases) {
    const run = await cli(args, { env });
    assert.equal(run.code, 2, `${args.join(' ')}: exit ${run.code}, stderr ${run.stderr}`);
    assert.match(run.stderr, /^llm-batches: error: /, args.join(' '));
    assert.equal(run.stdout, '');
  }
  assert.equal(mock.requests.length, 0);
});

test('cli: list prints a plain table when stdout is not a terminal', async () => {
  const run = await cli(['list', '--limit', '3']);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^ID +STATUS +PROGRESS +CREATED +ENDPOINT$/);
  assert.match(lines[1], /^batch_oai_000 +validating +0\/0 +2026-11-20 18:40 +\/v1\/chat\/completions$/);
  assert.match(lines[2], /^batch_oai_001 +in_progress +\d+\/\d+ \(1 failed\) /);
  assert.equal(lines.length, 4);
  assert.ok(!run.stdout.includes('\x1b'), 'no escape codes in a pipe');
  assert.match(run.stderr, /more: llm-batches list --after batch_oai_002/);
  assert.equal(mock.requests[0].headers.authorization, `Bearer ${KEY}`);
  assert.equal(mock.requests[0].query.limit, '3');
});

test('cli: --json gives the library objects, unchanged', async () => {
  const client = new BatchClient({ apiKey: 'x', baseURL: `${mock.url}/openai/v1` });
  const page = await cli(['list', '--json', '--limit', '2', '--after', 'batch_oai_004']);
  assert.equal(page.code, 0);
  assert.deepEqual(JSON.parse(page.stdout), await client.list({ limit: 2, after: 'batch_oai_004' }));
  const one = await cli(['get', 'batch_oai_013', '--json']);
  assert.deepEqual(JSON.parse(one.stdout), await client.retrieve('batch_oai_013'));
  const all = await cli(['list', '--all', '--json', '--limit', '7']);
  const ids = JSON.parse(all.stdout).map((b) => b.id);
  assert.equal(ids.length, 25);
  assert.equal(new Set(ids).size, 25);
});

test('cli: provider presets and base URL precedence', async () => {
  // --base-url wins over the preset's URL; the preset still picks the dialect.
  const ppinfra = await cli(['list', '--json', '--provider', 'ppinfra', '--base-url', `${mock.url}/ppinfra/openai/v1`]);
  assert.equal(ppinfra.code, 0, ppinfra.stderr);
  const first = JSON.parse(ppinfra.stdout).data[0];
  assert.equal(first.id, 'batch_ppi_001');
  assert.equal(first.status, 'in_progress', 'PROGRESS normalised');
  // LLM_BATCHES_BASE_URL wins over OPENAI_BASE_URL.
  const token360 = await cli(['get', 'batch_01abc', '--json'], {
    env: { LLM_BATCHES_BASE_URL: `${mock.url}/token360/v1`, OPENAI_BASE_URL: `${mock.url}/openai/v1` },
  });
  assert.equal(token360.code, 0, token360.stderr);
  assert.equal(JSON.parse(token360.stdout).id, 'batch_01abc');
  // OPENAI_BASE_URL pairs with OPENAI_API_KEY, as in the OpenAI SDK.
  const viaOpenAiVar = await cli(['get', 'batch_oai_001', '--json'], {
    env: { LLM_BATCHES_API_KEY: '', OPENAI_API_KEY: KEY, LLM_BATCHES_BASE_URL: '', OPENAI_BASE_URL: `${mock.url}/openai/v1` },
  });
  assert.equal(viaOpenAiVar.code, 0, viaOpenAiVar.stderr);
  // A provider's variable is not read for a base URL on another host: the message says what to do.
  const other = await cli(['get', 'batch_oai_001', '--provider', 'ppinfra'], { env: { LLM_BATCHES_API_KEY: '', PPINFRA_API_KEY: KEY } });
  assert.equal(other.code, 2);
  assert.match(other.stderr, /LLM_BATCHES_BASE_URL points at 127\.0\.0\.1:\d+, not PPInfra's host: \$PPINFRA_API_KEY is only sent to api\.ppinfra\.com/);
  // --api-key-env names the variable holding the key.
  const named = await cli(['get', 'batch_oai_001', '--api-key-env', 'PPINFRA_KEY'], { env: { LLM_BATCHES_API_KEY: '', PPINFRA_KEY: KEY } });
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, /^status +in_progress$/m);
});

test('cli: API errors exit 1 with the status, code and request id; --json errors are JSON on stderr', async () => {
  const human = await cli(['get', 'batch_nope']);
  assert.equal(human.code, 1);
  assert.match(human.stderr, /^llm-batches: error: .*No batch found.* \(HTTP 404, code not_found, request req_\d+\)$/m);
  const machine = await cli(['get', 'batch_nope', '--json']);
  assert.equal(machine.code, 1);
  assert.equal(machine.stdout, '');
  const { error } = JSON.parse(machine.stderr);
  assert.deepEqual({ ...error, request_id: typeof error.request_id }, { kind: 'api', status: 404, code: 'not_found', request_id: 'string', message: error.message });
  // A provider that echoes the Authorization header back in its error message.
  mock.addFault({ fault: 'echo_auth' });
  const echoed = await cli(['get', 'batch_oai_001']);
  assert.equal(echoed.code, 1);
  assert.match(echoed.stderr, /invalid_api_key/);
  const closed = await freePort();
  const unreachable = await cli(['list', '--max-retries', '0', '--timeout', '2s'], { env: { LLM_BATCHES_BASE_URL: `http://127.0.0.1:${closed}/v1` } });
  assert.equal(unreachable.code, 1);
  // A terminal names the host tried, and says nothing of CORS (a browser's business).
  assert.match(unreachable.stderr, /^llm-batches: error: could not reach 127\.0\.0\.1:\d+ \(.*\): it is down or unreachable$/m);
  assert.doesNotMatch(unreachable.stderr, /CORS/);
});

test('cli: submit validates first; an invalid file exits 3 with every problem and its line', async () => {
  const run = await cli(['submit', 'bad.jsonl']);
  assert.equal(run.code, 3);
  assert.match(run.stderr, /^bad\.jsonl:2: /m);
  assert.match(run.stderr, /^bad\.jsonl:3: .*duplicate custom_id/m);
  assert.match(run.stderr, /^bad\.jsonl:3: .*POST/m);
  assert.match(run.stderr, /nothing was sent/);
  assert.equal(mock.requests.length, 0, 'nothing was sent');
  const json = await cli(['validate', 'bad.jsonl', '--json'], { env: { LLM_BATCHES_API_KEY: '' } });
  assert.equal(json.code, 3);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.deepEqual(report.errors.map((e) => e.line), [2, 3, 3]);
  const good = await cli(['validate', 'ok.jsonl'], { env: { LLM_BATCHES_API_KEY: '' } });
  assert.equal(good.code, 0);
  assert.match(good.stdout, /^ok\.jsonl: 3 requests, \d+ B: ok$/m);
});

test('cli: submit --wait prints the id, progress on stderr, and exits 0 once completed', async () => {
  const run = await cli(['submit', 'ok.jsonl', '--wait', '--metadata', 'job=cli', '--window', '24h']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'batch_0001\n');
  assert.match(run.stderr, /^batch_0001 in_progress /m);
  assert.match(run.stderr, /^batch_0001 completed: 2\/3 \(1 failed\)|^batch_0001 completed: 3\/3/m);
  const create = mock.requests.find((r) => r.method === 'POST' && r.path.endsWith('/batches'));
  const { metadata } = JSON.parse(create.body);
  assert.deepEqual(metadata, { job: 'cli', llm_batches_call: metadata.llm_batches_call }, 'the caller\'s metadata and create\'s marker');
  const upload = mock.requests.find((r) => r.path.endsWith('/files'));
  assert.match(upload.body, /filename="ok\.jsonl"/);

  const json = await cli(['submit', '-', '--wait', '--json', '--quiet'], { input: jsonl([request('x')]) });
  assert.equal(json.code, 0, json.stderr);
  assert.equal(json.stderr, '', '--quiet: nothing on stderr');
  const batch = JSON.parse(json.stdout);
  assert.equal(batch.status, 'completed');
  assert.deepEqual(batch.request_counts, { total: 1, completed: 1, failed: 0 });
});

test('cli: submit --wait exits 4 when the batch fails', async () => {
  const run = await cli(['submit', 'ok.jsonl', '--wait', '--metadata', 'outcome=fail']);
  assert.equal(run.code, 4, run.stderr);
  assert.match(run.stderr, /batch_0001 ended failed: /);
});

test('cli: results streams JSONL to stdout or --out, with a summary on stderr', async () => {
  const client = new BatchClient({ apiKey: 'x', baseURL: `${mock.url}/openai/v1` });
  const early = await cli(['submit', 'ok.jsonl', '--quiet']);
  // A fixture batch that stays in progress: a just-submitted one may finish (50 ms steps) before
  // a CLI process on a loaded machine has started.
  const notReady = await cli(['results', 'batch_oai_001']);
  assert.equal(notReady.code, 1, notReady.stderr);
  assert.match(notReady.stderr, /batch_oai_001 is in_progress: its results are not ready yet/);
  const done = await client.waitFor(early.stdout.trim(), { pollInterval: 20 });

  const run = await cli(['results', done.id]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  const expected = [];
  for await (const r of client.results(done)) expected.push(r);
  assert.deepEqual(lines, expected);
  assert.deepEqual(lines.map((r) => [r.custom_id, r.source]), [['r1', 'output'], ['r2', 'output'], ['r3', 'error']]);
  assert.match(run.stderr, /^3 results \(1 with an error\); tokens: 20 in, 16 out, 36 total$/m);

  const out = await cli(['results', done.id, '--out', 'out.jsonl', '--json']);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), {
    ids: [done.id],
    id: done.id,
    out: 'out.jsonl',
    lines: 3,
    errors: 1,
    bytes: Buffer.byteLength(run.stdout),
    usage: { input_tokens: 20, output_tokens: 16, total_tokens: 36, cached_tokens: 0 },
  });
  assert.equal(await readFile(path.join(dir, 'out.jsonl'), 'utf8'), run.stdout);
  const unwritable = await cli(['results', done.id, '--out', 'no/such/dir/out.jsonl']);
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /cannot write no\/such\/dir\/out\.jsonl: ENOENT/);
});

test('cli: cancel, and cancelling an ended batch is an API error', async () => {
  const run = await cli(['cancel', 'batch_oai_000']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'batch_oai_000  cancelling\n');
  const again = await cli(['cancel', 'batch_oai_003', '--json']);
  assert.equal(again.code, 1);
  assert.equal(JSON.parse(again.stderr).error.status, 409);
});

test('cli: watch IDS prints a line per change and exits 0, or 4 when one did not complete', async () => {
  const made = await cli(['submit', 'ok.jsonl', '--quiet']);
  const id = made.stdout.trim();
  const run = await cli(['watch', id, 'batch_oai_003', '--interval', '50ms']);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\S+Z {2}batch_\w+ {2}\w+ {2}\d+\/\d+( \(\d+ failed\))? {2}\d+%( {2}tokens: [\d,]+ in, [\d,]+ out, [\d,]+ total( \([\d,]+ cached\))?)?$/);
  assert.ok(lines.some((l) => l.includes(`${id}  completed`)));
  assert.equal(lines.filter((l) => l.includes('batch_oai_003')).length, 1, 'an unchanged batch is printed once');

  await cli(['cancel', 'batch_oai_006']);
  const json = await cli(['watch', 'batch_oai_006', '--json', '--interval', '50ms']);
  assert.equal(json.code, 4, json.stderr);
  const updates = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(updates.at(-1).status, 'cancelled');

  const missing = await cli(['watch', 'batch_missing', '--interval', '50ms']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /warning: .*HTTP 404/);
});

test('cli: watch without ids runs until Ctrl-C, then exits 130', async () => {
  const run = await cli(['watch', '--interval', '50ms'], {
    onStdout: (text, child) => {
      if (text.includes('batch_oai_024') && !child.signalled) {
        child.signalled = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.equal(run.code, 130, run.stderr);
  assert.equal(run.stdout.trimEnd().split('\n').length, 25, 'the newest page, once');
});

test('cli: in a terminal, watch draws a live table with progress bars', { skip: !existsSync('/usr/bin/script') && 'no script(1)' }, async () => {
  const made = await cli(['submit', 'ok.jsonl', '--quiet']);
  const id = made.stdout.trim();
  // script(1) gives the CLI a pseudo-terminal; stty sets its size.
  const line = `stty cols 90 rows 20; exec ${process.execPath} ${CLI} watch ${id} batch_oai_003 --interval 50ms`;
  const run = await cli([], { command: ['/usr/bin/script', '-qec', line, '/dev/null'] });
  assert.equal(run.code, 0, run.stdout);
  assert.match(run.stdout, /\x1b\[\?25l/, 'hides the cursor');
  assert.match(run.stdout, /\x1b\[\d+F\x1b\[J/, 'redraws in place');
  assert.match(run.stdout, /\x1b\[\?25h/, 'shows the cursor again');
  const screen = run.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  assert.match(screen, new RegExp(`${id} +completed +█{20} +100% +3/3 \\(1 failed\\)`));
  assert.match(screen, /batch_oai_003 +completed +█{20} +100% +220\/220/);
  assert.match(screen, /2 batches, 0 running/);
  for (const l of screen.split(/\r?\n/)) assert.ok(l.length <= 90, `fits the terminal: ${l}`);
});

test('cli: in a terminal, submit --wait and results draw a progress bar on stderr, then clear it', { skip: !existsSync('/usr/bin/script') && 'no script(1)' }, async () => {
  const line = `stty cols 100 rows 20; ${process.execPath} ${CLI} submit ok.jsonl --wait --interval 50ms && ${process.execPath} ${CLI} results batch_0001 --out tty.jsonl`;
  const run = await cli([], { command: ['/usr/bin/script', '-qec', line, '/dev/null'] });
  assert.equal(run.code, 0, run.stdout);
  assert.match(run.stdout, /\r\x1b\[Kbatch_0001 {2}in_progress +[█▏▎▍▌▋▊▉ ]{24} +\d+% {2}\d\/3/);
  assert.match(run.stdout, /\r\x1b\[Kresults [█▏▎▍▌▋▊▉ ]{24} \d\/3 lines, \d errors/);
  assert.match(run.stdout, /batch_0001 completed: 3\/3 \(1 failed\)/);
  assert.match(run.stdout, /3 results \(1 with an error\) written to tty\.jsonl/);
  assert.equal((await readFile(path.join(dir, 'tty.jsonl'), 'utf8')).trimEnd().split('\n').length, 3);
});

test('cli: provider text cannot drive the terminal: control characters come out escaped', async () => {
  // Whatever reaches a terminal: ESC, BEL, C1 controls and bidi overrides are shown as \uXXXX.
  const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
  const withFault = async (fault, args) => {
    mock.clearFaults();
    mock.addFault({ fault });
    return cli(args);
  };
  const runs = [
    await withFault('escapes', ['get', 'batch_x']),
    await withFault('escapes', ['list']),
    await withFault('escapes', ['list', '--json']),
    await withFault('escapes', ['get', 'batch_x', '--json']),
    await withFault('escapes', ['cancel', 'batch_x']),
    await withFault('escapes;status=404', ['get', 'batch_x', '--max-retries', '0']),
    await withFault('escapes;status=404', ['get', 'batch_x', '--json', '--max-retries', '0']),
  ];
  mock.clearFaults();
  for (const [i, run] of runs.entries()) {
    assert.doesNotMatch(run.stdout, raw, `run ${i} stdout: ${JSON.stringify(run.stdout)}`);
    assert.doesNotMatch(run.stderr, raw, `run ${i} stderr: ${JSON.stringify(run.stderr)}`);
  }
  const [get, list, listJson, getJson, cancel, missing] = runs;
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /^id +batch_esc\\u001b\]0;pwned\\u0007$/m, get.stdout);
  assert.match(list.stdout, /batch_esc\\u001b/);
  assert.match(cancel.stdout, /batch_esc\\u001b/);
  assert.match(missing.stderr, /No batch \\u001b\]0;pwned\\u0007 here/);
  // --json stays JSON with the same values.
  assert.equal(JSON.parse(listJson.stdout).data[0].id, 'batch_esc\u001b]0;pwned\u0007');
  assert.equal(JSON.parse(getJson.stdout).input_file_id, 'file-\u009b31mred');
  assert.equal(JSON.parse(getJson.stdout).completion_window, '24h\u202e');
});

test('cli: a 120,000-request file goes in as 3 batches, --wait follows them together, results streams them all with flat memory', async (t) => {
  const lines = [];
  for (let i = 0; i < 120_000; i++) lines.push(JSON.stringify(request(`q${i}`, { fail: i % 10_000 === 5 })));
  await writeFile(path.join(dir, 'big.jsonl'), `${lines.join('\n')}\n`);
  const run = await cli(['submit', 'big.jsonl', '--wait', '--interval', '100ms', '--metadata', 'job=big'], { timeout: 120_000 });
  assert.equal(run.code, 0, run.stderr);
  const ids = run.stdout.trim().split('\n');
  assert.equal(ids.length, 3, 'OpenAI takes 50,000 a batch');
  assert.match(run.stderr, /part 1\/3/);
  assert.match(run.stderr, /^3 batches completed; fetch with: llm-batches results /m);
  const creates = mock.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/batches')).map((r) => JSON.parse(r.body).metadata);
  assert.deepEqual(creates.map((m) => [m.job, m.part]), [['big', '1/3'], ['big', '2/3'], ['big', '3/3']]);
  const results = await cli(['results', ...ids, '--out', 'big-results.jsonl', '--json'], { timeout: 120_000 });
  assert.equal(results.code, 0, results.stderr);
  const summary = JSON.parse(results.stdout);
  assert.equal(summary.lines, 120_000);
  assert.equal(summary.errors, 12);
  assert.deepEqual(summary.ids, ids);
  const text = await readFile(path.join(dir, 'big-results.jsonl'), 'utf8');
  assert.equal(text.length, summary.bytes);
  // Memory stays flat: far less than the results themselves, let alone parsed.
  t.diagnostic(`results: ${summary.lines} lines, ${(summary.bytes / 2 ** 20).toFixed(1)} MiB; peak RSS ${(results.peak / 2 ** 20).toFixed(0)} MiB (submit: ${(run.peak / 2 ** 20).toFixed(0)} MiB)`);
  assert.ok(results.peak === 0 || results.peak < 160 * 2 ** 20, `peak RSS ${results.peak}`);
  await rm(path.join(dir, 'big.jsonl'));
  await rm(path.join(dir, 'big-results.jsonl'));
});

test('cli: resubmit sends what did not succeed, and get shows tokens', async () => {
  const made = await cli(['submit', 'ok.jsonl', '--wait', '--quiet']);
  assert.equal(made.code, 0, made.stderr);
  const id = made.stdout.trim();
  const again = await cli(['resubmit', id, '--wait']);
  assert.equal(again.code, 0, again.stderr);
  const retry = again.stdout.trim();
  assert.match(again.stderr, /with 1 requests that did not succeed|with the requests that did not succeed/);
  const upload = mock.requests.filter((r) => r.path.endsWith('/files')).at(-1);
  assert.match(upload.body, /"custom_id":"r3"/);
  assert.doesNotMatch(upload.body, /"custom_id":"r1"/);
  const create = mock.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/batches')).at(-1);
  assert.equal(JSON.parse(create.body).metadata.resubmit_of, id);
  assert.notEqual(retry, id);
  const got = await cli(['get', 'batch_oai_003']);
  assert.match(got.stdout, /^tokens +[\d,]+ in, [\d,]+ out, [\d,]+ total/m);
});

test('cli: the key never appears in any output', () => {
  assert.ok(everything.length > 20);
  for (const text of everything) assert.ok(!text.includes(KEY), `key printed in: ${text.slice(0, 200)}`);
});
