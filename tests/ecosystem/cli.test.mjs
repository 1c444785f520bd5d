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
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
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

/**
 * Runs the CLI; resolves `{ code, signal, stdout, stderr, peak }` (`peak`: its peak RSS, sampled).
 * `env` replaces the defaults given; `onStdout(stdout, child)` runs on its output, `onSpawn(child)`
 * once it started.
 */
function cli(args, { env = {}, input, onStdout, onSpawn, timeout = 20_000, command = [process.execPath, CLI] } = {}) {
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
    onSpawn?.(child);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      everything.push(stdout, stderr);
      resolve({ code, signal, stdout, stderr, peak });
    });
    child.stdin.end(input ?? '');
  });
}

/**
 * A tiny provider of hand-made OpenAI batches whose times are set from the moment each request comes:
 * `stages[id]` is a list of `(nowSeconds) => batch`, and each GET of that batch answers the next one
 * (the last one again once they run out). Lists are empty, so a watch retrieves each id.
 */
async function stagedProvider(stages) {
  const served = new Map();
  const server = http.createServer((req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname === '/v1/batches') return send(200, { object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    const id = decodeURIComponent(pathname.slice('/v1/batches/'.length));
    if (!Object.hasOwn(stages, id)) return send(404, { error: { message: `No batch ${id}`, type: 'invalid_request_error', code: 'not_found', param: null } });
    const n = served.get(id) ?? 0;
    served.set(id, n + 1);
    const batch = stages[id][Math.min(n, stages[id].length - 1)](Math.floor(Date.now() / 1000));
    return send(200, { object: 'batch', endpoint: '/v1/chat/completions', completion_window: '24h', ...batch, id });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

const counts = (total, completed, failed = 0) => ({ request_counts: { total, completed, failed } });
/** Started 3 min ago, running 2 min, a quarter done: the pace says 6 min to go; its deadline is 3 h away. */
const running = (now) => ({ status: 'in_progress', model: 'gpt-4o-mini', created_at: now - 180, in_progress_at: now - 120, expires_at: now + 3 * 3600 + 30, ...counts(400, 90, 10) });
/** Past its deadline by an hour and still in progress. */
const late = (now) => ({ status: 'in_progress', created_at: now - 25 * 3600, in_progress_at: now - 24 * 3600, expires_at: now - 3630, ...counts(10, 2) });

/** For `cli`'s `onSpawn`: sends `signal` to the CLI (as Ctrl-C does) once `condition()` holds, checked every 20 ms. */
const signalWhen = (condition, signal = 'SIGINT') => (child) => {
  const timer = setInterval(async () => {
    if (!(await condition())) return;
    clearInterval(timer);
    process.kill(child.pid, signal);
  }, 20);
  child.on('close', () => clearInterval(timer));
};

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
  for (const word of ['list', '--status S', 'get ID', 'watch [ID...]', 'submit FILE.jsonl', 'results ID', 'cancel ID', '--provider', '--api-key-env', '--json']) {
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

test('cli: an unknown option or command is named, with the closest one; exit 2', async () => {
  const cases = [
    [['list', '--limt', '3'], 'unknown option --limt; did you mean --limit?'],
    [['list', '--limt=3'], 'unknown option --limt; did you mean --limit?'],
    [['watch', '--intervl', '1s'], 'unknown option --intervl; did you mean --interval?'],
    [['list', '--stauts', 'failed'], 'unknown option --stauts; did you mean --status?'],
    [['--jsno', 'get', 'x'], 'unknown option --jsno; did you mean --json?'],
    [['results', 'x', '--ou', 'f'], 'unknown option --ou; did you mean --out?'],
    // Only the options of the command given: get has no --status.
    [['get', 'x', '--stauts', 'failed'], 'unknown option --stauts'],
    [['list', '--nope'], 'unknown option --nope'],
    [['list', '-x'], 'unknown option -x'],
    [['lsit'], 'unknown command "lsit"; did you mean list?'],
    [['sumbit', 'x.jsonl'], 'unknown command "sumbit"; did you mean submit?'],
    [['cancle', 'x'], 'unknown command "cancle"; did you mean cancel?'],
    [['bogus'], 'unknown command "bogus"'],
    [['get', 'x', '--out', 'f'], '--out does not apply to get (only to results)'],
  ];
  for (const [args, message] of cases) {
    const run = await cli(args);
    assert.equal(run.code, 2, `${args.join(' ')}: exit ${run.code}`);
    assert.equal(run.stderr, `llm-batches: error: ${message}\nRun llm-batches --help for the commands and options.\n`, args.join(' '));
    assert.equal(run.stdout, '');
  }
  const machine = await cli(['list', '--limt', '3', '--json']);
  assert.equal(machine.code, 2);
  assert.deepEqual(JSON.parse(machine.stderr), { error: { kind: 'cli', message: 'unknown option --limt; did you mean --limit?' } });
  assert.equal(mock.requests.length, 0);
});

test('cli: list prints a plain table when stdout is not a terminal', async () => {
  const run = await cli(['list', '--limit', '4']);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^ID +STATUS +PROGRESS +MODEL +CREATED +ENDPOINT$/);
  assert.match(lines[1], /^batch_oai_000 +validating +0\/0 +2026-11-20 18:40 +\/v1\/chat\/completions$/);
  assert.match(lines[2], /^batch_oai_001 +in_progress +\d+\/\d+ \(1 failed\) /);
  assert.match(lines[4], /^batch_oai_003 +completed +220\/220 +gpt-4o-mini-2024-07-18 +2026-11-20 14:10 +\/v1\/chat\/completions$/);
  // The columns line up: MODEL starts where its header does.
  assert.equal(lines[4].indexOf('gpt-4o-mini'), lines[0].indexOf('MODEL'));
  assert.equal(lines.length, 5);
  assert.ok(!run.stdout.includes('\x1b'), 'no escape codes in a pipe');
  assert.match(run.stderr, /^more: llm-batches list --after batch_oai_003 --limit 4$/m);
  assert.equal(mock.requests[0].headers.authorization, `Bearer ${KEY}`);
  assert.equal(mock.requests[0].query.limit, '4');
});

test('cli: list --status keeps the batches of those statuses (repeated or comma-separated), and checks them', async () => {
  const client = new BatchClient({ apiKey: 'x', baseURL: `${mock.url}/openai/v1` });
  const page = await client.list({ limit: 24 });
  const wanted = ['completed', 'expired', 'failed'];
  const machine = await cli(['list', '--limit', '24', '--status', 'completed,expired', '--status', 'failed', '--json']);
  assert.equal(machine.code, 0, machine.stderr);
  const filtered = { ...page, data: page.data.filter((b) => wanted.includes(b.status)) };
  assert.ok(filtered.data.length >= 6 && filtered.data.length < page.data.length);
  assert.deepEqual(JSON.parse(machine.stdout), filtered, 'the page, with only those batches');

  const human = await cli(['list', '--limit', '24', '--status', 'cancelled']);
  assert.equal(human.code, 0, human.stderr);
  const rows = human.stdout.trimEnd().split('\n').slice(1);
  assert.deepEqual(rows.map((r) => r.split(/ +/)[0]), page.data.filter((b) => b.status === 'cancelled').map((b) => b.id));
  for (const row of rows) assert.match(row, /^batch_oai_\d+ +cancelled /);
  assert.match(human.stderr, /^more: llm-batches list --after batch_oai_023 --limit 24 --status cancelled$/m, 'the next page keeps the filter');

  const all = await cli(['list', '--all', '--status', 'in_progress', '--limit', '10', '--json']);
  const inProgress = [];
  for await (const b of client.listAll()) if (b.status === 'in_progress') inProgress.push(b.id);
  assert.ok(inProgress.length > 1);
  assert.deepEqual(JSON.parse(all.stdout).map((b) => b.id), inProgress, 'every page, filtered');
  const none = await cli(['list', '--limit', '2', '--after', 'batch_oai_000', '--status', 'validating']);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, 'no validating batches on this page\n');

  mock.requests.length = 0;
  const typo = await cli(['list', '--status', 'canceled']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^llm-batches: error: --status wants one of validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled, not "canceled"; did you mean cancelled\?$/m);
  const unknown = await cli(['list', '--status', 'completed,running']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /not "running"$/m);
  assert.equal(mock.requests.length, 0, 'nothing sent for a bad --status');
});

/** The rows of `get`'s output as [name, value] pairs, in order. */
const rowsOf = (stdout) => stdout.trimEnd().split('\n').map((line) => /^(\S+) +(.*)$/.exec(line).slice(1));

test('cli: get shows the times of a batch in the order of its life, in local time with the offset, and how long it took', async () => {
  const completed = await cli(['get', 'batch_oai_003'], { env: { TZ: 'Asia/Kolkata' } });
  assert.equal(completed.code, 0, completed.stderr);
  const rows = rowsOf(completed.stdout);
  const times = rows.filter(([k]) => k.endsWith('_at'));
  // The provider sends expires_at before finalizing_at; a batch's life puts the deadline last.
  assert.deepEqual(times.map(([k]) => k), ['created_at', 'in_progress_at', 'finalizing_at', 'completed_at', 'expires_at']);
  assert.match(times[0][1], /^2026-11-20 19:40:00\+05:30 {2}\((\d+ (d|h|min|s)( \d+ (h|min))? ago|in \d.*)\)$/, 'created_at 14:10 UTC, at +05:30');
  assert.match(times[3][1], /^2026-11-20 20:40:00\+05:30 /);
  const row = Object.fromEntries(rows);
  assert.equal(row.model, 'gpt-4o-mini-2024-07-18');
  assert.equal(row.elapsed, '1 h', 'created 14:10, completed 15:10');
  assert.equal(row.tokens, '26,400 in, 9,900 out, 36,300 total');
  assert.equal(row.eta, undefined, 'no ETA once ended');

  const cancelled = await cli(['get', 'batch_oai_007'], { env: { TZ: 'America/New_York' } });
  const cancelledRows = rowsOf(cancelled.stdout);
  assert.deepEqual(cancelledRows.filter(([k]) => k.endsWith('_at')).map(([k]) => k), ['created_at', 'in_progress_at', 'cancelling_at', 'cancelled_at', 'expires_at']);
  assert.match(Object.fromEntries(cancelledRows).created_at, /^2026-11-20 03:10:00-05:00 /);
  assert.equal(Object.fromEntries(cancelledRows).elapsed, '31 min');
  assert.equal(Object.fromEntries(cancelledRows).model, undefined, 'no model row when the provider names none');
});

test('cli: get of a running batch says how long ago, when it expires or that it is overdue, the elapsed time and an ETA', async () => {
  const provider = await stagedProvider({
    batch_run: [(now) => ({ ...running(now), updated_at: now - 60, 'x\u001b]0;t\u0007_at': now })],
    batch_late: [late],
  });
  try {
    const env = { LLM_BATCHES_BASE_URL: provider.url };
    const run = await cli(['get', 'batch_run'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /\u001b/, 'a provider\'s key is escaped too');
    const rows = rowsOf(run.stdout);
    assert.deepEqual(rows.filter(([k]) => k.endsWith('_at')).map(([k]) => k), ['created_at', 'in_progress_at', 'updated_at', 'x\\u001b]0;t\\u0007_at', 'expires_at'], 'other times after the known ones, the deadline last');
    const row = Object.fromEntries(rows);
    assert.match(row.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00 {2}\(3 min ago\)$/);
    assert.match(row.in_progress_at, /\(2 min ago\)$/);
    assert.match(row.expires_at, /\(expires in 3 h\)$/);
    assert.equal(row.elapsed, '3 min so far');
    assert.equal(row.eta, '6 min', '100 of 400 done in 2 min: 300 more take 6');
    assert.equal(row.model, 'gpt-4o-mini');
    assert.equal(row.requests, '100/400 (10 failed), 25%');

    const overdue = Object.fromEntries(rowsOf((await cli(['get', 'batch_late'], { env })).stdout));
    assert.match(overdue.expires_at, /\(overdue by 1 h\)$/);
    assert.equal(overdue.elapsed, '1 d 1 h so far');
    assert.equal(overdue.eta, undefined, 'no estimate past the deadline');
  } finally {
    await provider.close();
  }
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
  assert.match(unreachable.stderr, new RegExp(`^llm-batches: error: could not reach 127\\.0\\.0\\.1:${closed} \\(.*\\): it is down or unreachable$`, 'm'));
  assert.doesNotMatch(unreachable.stderr, /CORS|browser/i);
  const viaFlag = await cli(['list', '--base-url', 'http://127.0.0.1:9/v1', '--max-retries', '0', '--json']);
  assert.equal(viaFlag.code, 1);
  const { error: refused } = JSON.parse(viaFlag.stderr);
  assert.equal(refused.kind, 'connection');
  assert.match(refused.message, /^could not reach 127\.0\.0\.1:9 \(.*\): it is down or unreachable$/);
  assert.doesNotMatch(refused.message, /CORS|browser/i);
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

test('cli: validate prints each problem once with its lines, grouped, and caps the distinct ones', async () => {
  const offline = { env: { LLM_BATCHES_API_KEY: '' } };
  const stderrLines = (run) => run.stderr.trimEnd().split('\n');
  // 50 times the same problem: one line.
  await writeFile(path.join(dir, 'same.jsonl'), jsonl(Array.from({ length: 50 }, (_, i) => request(`s${i}`))));
  const same = await cli(['validate', 'same.jsonl', '--endpoint', '/v1/embeddings'], offline);
  assert.equal(same.code, 3);
  assert.deepEqual(stderrLines(same), [
    'same.jsonl: lines 1–50: `url` is "/v1/chat/completions" but the batch endpoint is "/v1/embeddings"',
    'llm-batches: same.jsonl is not a valid batch input (50 problems); nothing was sent',
  ]);
  const report = await cli(['validate', 'same.jsonl', '--endpoint', '/v1/embeddings', '--json'], offline);
  assert.equal(JSON.parse(report.stdout).errors.length, 50, '--json still lists each one');

  // Repeats far apart are one group too, in the order of their first line; other problems keep theirs.
  const rows = Array.from({ length: 12 }, (_, i) => ({ ...request(`m${i + 1}`), method: [1, 2, 3, 7, 9, 10, 11, 12].includes(i + 1) ? 'GET' : 'POST' }));
  rows[4] = '{x'; // line 5
  await writeFile(path.join(dir, 'spread.jsonl'), jsonl(rows));
  const spread = await cli(['validate', 'spread.jsonl'], offline);
  assert.equal(spread.code, 3);
  const [methods, column, summary] = stderrLines(spread);
  assert.equal(methods, 'spread.jsonl: lines 1–3, 7, 9–12 (8 lines): `method` must be "POST"');
  // The JSON error names the column only: the line is the file's, not "line 1" of its text.
  assert.match(column, /^spread\.jsonl:5: not valid JSON \(.*\bat column 2\)$/);
  assert.doesNotMatch(spread.stderr, /line \d+ column/);
  assert.equal(summary, 'llm-batches: spread.jsonl is not a valid batch input (9 problems); nothing was sent');

  // 30 distinct problems: the first 20, then how many more.
  const dupes = Array.from({ length: 30 }, (_, i) => [request(`d${i}`), request(`d${i}`)]).flat();
  await writeFile(path.join(dir, 'dupes.jsonl'), jsonl(dupes));
  const many = await cli(['validate', 'dupes.jsonl'], offline);
  const shown = stderrLines(many);
  assert.equal(shown.length, 22);
  assert.deepEqual(shown.slice(0, 20).map((l) => /^dupes\.jsonl:(\d+): duplicate custom_id "d(\d+)"/.exec(l).slice(1).map(Number)), Array.from({ length: 20 }, (_, i) => [2 * i + 2, i]));
  assert.equal(shown[20], '… and 10 other problems not shown; --json lists them all');
  assert.match(shown[21], /\(30 problems\)/);

  // A big file with a problem on every other line: a few lines of output, not 25,000.
  const big = Array.from({ length: 50_000 }, (_, i) => ({ ...request(`b${i}`), url: i % 2 ? '/v1/chat/completions' : '/v1/embeddings' }));
  await writeFile(path.join(dir, 'alternate.jsonl'), jsonl(big));
  const alternate = await cli(['validate', 'alternate.jsonl', '--endpoint', '/v1/chat/completions'], offline);
  assert.equal(alternate.code, 3);
  const [every, rest, total, ...none] = stderrLines(alternate);
  assert.match(every, /^alternate\.jsonl: lines 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, … \(1,000 lines\): `url` is "\/v1\/embeddings"/);
  assert.equal(rest, 'alternate.jsonl: 24000 more problems not listed');
  assert.equal(total, 'llm-batches: alternate.jsonl is not a valid batch input (25,000 problems); nothing was sent');
  assert.deepEqual(none, []);
  await rm(path.join(dir, 'alternate.jsonl'));
});

test('cli: a UTF-8 BOM is dropped, as the dashboard does: validate, submit and resubmit --requests accept the file', async () => {
  const offline = { env: { LLM_BATCHES_API_KEY: '' } };
  const plain = jsonl([request('r1'), request('r2'), request('r3', { fail: true })]);
  await writeFile(path.join(dir, 'bom.jsonl'), `\ufeff${plain}`);
  const ok = await cli(['validate', 'bom.jsonl', '--json'], offline);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { ok: true, count: 3, bytes: Buffer.byteLength(plain), problems: 0, errors: [] });
  const piped = await cli(['validate', '-'], { ...offline, input: `\ufeff${plain}` });
  assert.equal(piped.code, 0, piped.stderr);
  // Line numbers are the file's: the BOM does not shift them, nor is it a problem of line 1.
  await writeFile(path.join(dir, 'bom-bad.jsonl'), `\ufeff${jsonl([request('a'), { ...request('b'), method: 'GET' }])}`);
  const bad = await cli(['validate', 'bom-bad.jsonl'], offline);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /^bom-bad\.jsonl:2: `method` must be "POST"$/m);
  assert.doesNotMatch(bad.stderr, /bom-bad\.jsonl:1:/);

  const made = await cli(['submit', 'bom.jsonl', '--wait', '--interval', '50ms', '--quiet']);
  assert.equal(made.code, 0, made.stderr);
  const uploads = () => mock.requests.filter((r) => r.path.endsWith('/files')).map((r) => r.body);
  assert.ok(uploads()[0].includes(`\r\n\r\n${plain}\r\n`), 'the upload is the file without its BOM');
  const again = await cli(['resubmit', made.stdout.trim(), '--requests', 'bom.jsonl']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(uploads()[1], /\r\n\r\n\{"custom_id":"r3"/);
  assert.ok(!uploads().some((body) => body.includes('\ufeff')));
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

test('cli: Ctrl-C during results --out says how many lines the partial file holds, exit 130', async () => {
  const client = new BatchClient({ apiKey: 'x', baseURL: `${mock.url}/openai/v1` });
  const batch = await client.submit(jsonl(Array.from({ length: 200 }, (_, i) => request(`p${i}`))));
  const done = await client.waitFor(batch.id, { pollInterval: 20 });
  assert.equal(done.status, 'completed');
  // The output file comes slowly: 2,000 bytes every 50 ms.
  mock.addFault({ method: 'GET', path: /\/content$/, fault: 'slow;bytes=2000;every=50' });
  const written = (file) => () => stat(path.join(dir, file)).then((s) => s.size > 0, () => false);
  const run = await cli(['results', done.id, '--out', 'part.jsonl'], { onSpawn: signalWhen(written('part.jsonl')) });
  assert.equal(run.code, 130, run.stderr);
  const said = /^llm-batches: interrupted: (\d+) of 200 lines written to part\.jsonl: the file is partial$/m.exec(run.stderr);
  assert.ok(said, run.stderr);
  const partial = (await readFile(path.join(dir, 'part.jsonl'), 'utf8')).split('\n');
  assert.equal(partial.pop(), '', 'whole lines only');
  assert.equal(partial.length, Number(said[1]), 'the count is what the file holds');
  assert.ok(partial.length > 0 && partial.length < 200);
  for (const line of partial) assert.match(JSON.parse(line).custom_id, /^p\d+$/);

  const machine = await cli(['results', done.id, '--out', 'part2.jsonl', '--json'], { onSpawn: signalWhen(written('part2.jsonl'), 'SIGTERM') });
  assert.equal(machine.code, 143, machine.stderr);
  assert.equal(machine.stdout, '', 'no summary: it did not finish');
  const { error } = JSON.parse(machine.stderr);
  const lines = (await readFile(path.join(dir, 'part2.jsonl'), 'utf8')).trimEnd().split('\n').length;
  assert.deepEqual(error, { kind: 'terminated', message: `${lines} of 200 lines written to part2.jsonl: the file is partial`, out: 'part2.jsonl', lines, partial: true });
});

test('cli: Ctrl-C during submit --wait names the batch left running and how to follow it, exit 130', async () => {
  // A slow provider: a batch stays validating for a minute, polls come back every 50 ms.
  const slow = await startMock({ stepMs: 60_000, pollAfterMs: 50 });
  try {
    const env = { LLM_BATCHES_BASE_URL: `${slow.url}/openai/v1` };
    /** Once the CLI polls batch `id`: it was made, and is being waited for. */
    const polled = (id) => () => slow.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/batches/${id}`));
    const run = await cli(['submit', 'ok.jsonl', '--wait', '--interval', '50ms'], { env, onSpawn: signalWhen(polled('batch_0001')) });
    assert.equal(run.code, 130, run.stderr);
    assert.equal(run.stdout, 'batch_0001\n');
    assert.match(
      run.stderr,
      /^llm-batches: interrupted: batch_0001 is still validating: it goes on, and is billed, without this command; follow it with llm-batches watch batch_0001, or stop it with llm-batches cancel batch_0001$/m,
    );
    // Nothing was cancelled behind the user's back: the command to follow it finds it running.
    const followed = await cli(['get', 'batch_0001', '--json'], { env });
    assert.equal(JSON.parse(followed.stdout).status, 'validating');

    const machine = await cli(['submit', 'ok.jsonl', '--wait', '--interval', '50ms', '--json', '--quiet'], { env, onSpawn: signalWhen(polled('batch_0002')) });
    assert.equal(machine.code, 130, machine.stderr);
    assert.equal(machine.stdout, '');
    const { error } = JSON.parse(machine.stderr.trim().split('\n').at(-1));
    assert.equal(error.kind, 'interrupted');
    assert.deepEqual(error.ids, ['batch_0002']);
    assert.match(error.message, /llm-batches watch batch_0002/);
  } finally {
    await slow.close();
  }
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

test('cli: in a terminal, watch shows each batch\'s elapsed time and ETA, or that it is overdue', { skip: !existsSync('/usr/bin/script') && 'no script(1)' }, async () => {
  const done = (now) => ({ ...running(now), status: 'completed', completed_at: now, ...counts(400, 390, 10) });
  const gone = (now) => ({ ...late(now), status: 'expired', expired_at: now - 3630 });
  const provider = await stagedProvider({ batch_run: [running, running, running, done], batch_late: [late, late, late, gone] });
  try {
    const line = `stty cols 120 rows 20; exec ${process.execPath} ${CLI} watch batch_run batch_late --interval 100ms`;
    const run = await cli([], { command: ['/usr/bin/script', '-qec', line, '/dev/null'], env: { LLM_BATCHES_BASE_URL: provider.url } });
    assert.equal(run.code, 4, run.stdout);
    const screen = run.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    assert.match(screen, /ID +STATUS +PROGRESS +REQUESTS +ELAPSED +ETA\r?$/m);
    assert.match(screen, /^batch_run +in_progress +[█▏▎▍▌▋▊▉ ]{20} +25% +100\/400 \(10 failed\) +3 min +6 min\r?$/m);
    assert.match(screen, /^batch_late +in_progress +[█▏▎▍▌▋▊▉ ]{20} +20% +2\/10 +1 d 1 h +overdue\r?$/m);
    assert.match(screen, /^batch_run +completed +█{20} +100% +400\/400 \(10 failed\) +3 min\r?$/m, 'an ended batch: its time, no ETA');
    assert.match(run.stdout, /\x1b\[31moverdue\x1b\[0m/, 'overdue in red');
  } finally {
    await provider.close();
  }
});

test('cli: in a terminal, submit --wait and results draw a progress bar on stderr, then clear it', { skip: !existsSync('/usr/bin/script') && 'no script(1)' }, async () => {
  const line = `stty cols 100 rows 20; ${process.execPath} ${CLI} submit ok.jsonl --wait --interval 50ms && ${process.execPath} ${CLI} results batch_0001 --out tty.jsonl`;
  const run = await cli([], { command: ['/usr/bin/script', '-qec', line, '/dev/null'] });
  assert.equal(run.code, 0, run.stdout);
  // A running status (polls 50 ms apart may miss in_progress): elapsed time and an ETA, "?" before there is a pace.
  assert.match(run.stdout, /\r\x1b\[Kbatch_0001 {2}(validating|in_progress|finalizing) +[█▏▎▍▌▋▊▉ ]{24} +\d+% {2}\d\/3( \(1 failed\))? {2}elapsed \d+ s {2}ETA (\?|\d+ s)\r/);
  assert.match(run.stdout, /\r\x1b\[Kbatch_0001 {2}completed +█{24} 100% {2}3\/3 \(1 failed\) {2}elapsed \d+ s\r/, 'no ETA once ended');
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
