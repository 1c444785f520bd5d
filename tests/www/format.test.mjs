// www/format.js on its own (it has no DOM and no imports): deadlines, "not run", tokens and cost.
//
//   node --test tests/www/format.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cost, deadlineMs, money, notRun, parsePrice, timeLeft, tokens } from '../../www/format.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const HOUR = 3_600_000;
const at = (ms) => Math.floor(ms / 1000);

/** A batch created `age` ms before NOW with a 24 h window, `done` of `total` requests through, in progress for `running` ms. */
function batch({ status = 'in_progress', age = HOUR, running = age / 2, done = 0, total = 100, window = '24h', failed = 0 } = {}) {
  return {
    id: 'batch_x',
    status,
    completion_window: window,
    created_at: at(NOW - age),
    in_progress_at: status === 'validating' ? null : at(NOW - running),
    expires_at: at(NOW - age + 24 * HOUR),
    request_counts: { total, completed: done - failed, failed },
  };
}

test('a batch past its window is overdue, however slow its rate (no "ETA ~1740 d")', () => {
  // The case: a day and more in, 3 of 100 done.
  const late = batch({ age: 26 * HOUR, running: 25 * HOUR, done: 3 });
  assert.equal(deadlineMs(late, NOW), -2 * HOUR);
  const left = timeLeft(late, null, NOW);
  assert.equal(left.kind, 'overdue');
  assert.equal(left.text, 'overdue');
  assert.match(left.title, /^Its 24h completion window ended 2 h ago \(.+\), and the provider has not ended it yet\.$/);
});

test('an ETA only where it comes before the deadline; else the deadline; near deadlines without a rate too', () => {
  const fast = timeLeft(batch({ age: HOUR, running: 30 * 60_000, done: 50 }), null, NOW);
  assert.deepEqual([fast.kind, fast.text], ['eta', '~30 min']);
  assert.match(fast.title, /^Done in about 30 min at the rate seen so far\. The window closes in 23 h \(.+\)\.$/);

  // 10 of 100 in 20 h: 180 h more, with 4 h left.
  const slow = timeLeft(batch({ age: 20 * HOUR, running: 20 * HOUR, done: 10 }), null, NOW);
  assert.deepEqual([slow.kind, slow.text], ['late', 'expires in 4 h']);
  assert.match(slow.title, /^At the rate seen so far it needs ~7 d 12 h more: it will not finish before its window closes\./);

  // Observed progress beats the provider's in_progress_at: 40 requests in the last 10 minutes.
  const seen = timeLeft(batch({ age: 20 * HOUR, running: 20 * HOUR, done: 60 }), { at: NOW - 10 * 60_000, done: 20 }, NOW);
  assert.deepEqual([seen.kind, seen.text], ['eta', '~10 min']);

  const fresh = timeLeft(batch({ status: 'validating', age: 60_000 }), null, NOW);
  assert.deepEqual([fresh.kind, fresh.text], ['none', '—'], 'a far deadline is not worth a word');
  assert.match(fresh.title, /^The window closes in 23 h 59 min \(/);
  const near = timeLeft(batch({ status: 'validating', age: 21 * HOUR }), null, NOW);
  assert.deepEqual([near.kind, near.text], ['expires', 'expires in 3 h']);

  for (const status of ['completed', 'failed', 'expired', 'cancelled']) {
    assert.deepEqual(timeLeft(batch({ status, age: 30 * HOUR }), null, NOW), { kind: 'none', text: '—', title: '' }, status);
    assert.equal(deadlineMs(batch({ status }), NOW), null);
  }
  const noDeadline = { ...batch({ done: 10 }), expires_at: null };
  assert.equal(timeLeft(noDeadline, null, NOW).kind, 'eta');
});

test('what an ended batch never ran', () => {
  assert.equal(notRun(batch({ status: 'failed', total: 80 })), 80);
  assert.equal(notRun(batch({ status: 'expired', total: 400, done: 200 })), 200);
  assert.equal(notRun(batch({ status: 'cancelled', total: 300, done: 120, failed: 20 })), 180);
  assert.equal(notRun(batch({ status: 'completed', total: 30, done: 30 })), 0);
  assert.equal(notRun(batch({ status: 'in_progress', total: 30, done: 3 })), null, 'a running batch will still run them');
});

test('tokens, prices and cost', () => {
  assert.deepEqual([tokens(512), tokens(14_040), tokens(2_345_678), tokens(23_456_789)], ['512', '14k', '2.3M', '23M']);
  const used = { input_tokens: 7_800, output_tokens: 6_240 };
  assert.equal(cost(used, { input: 2.5, output: 10 }), 0.0819);
  assert.equal(cost(used, { input: 2.5, output: null }), 0.0195, 'a price left out counts as 0');
  assert.equal(cost(null, { input: 1, output: 1 }), null);
  assert.equal(cost(used, null), null);
  assert.deepEqual([money(0.0819), money(0.00342), money(0.001), money(0.00004), money(0), money(1234.5)], ['$0.08', '$0.0034', '$0.001', '<$0.0001', '$0.00', '$1,234.50']);
  assert.deepEqual(['2.50', ' 0,15 ', '', 'ten', '-1', '1e3'].map(parsePrice), [2.5, 0.15, null, null, null, 1000]);
});
