/** The one options module: unknown keys, types, ranges, Python timeouts, long timers. */
import { describe, it as test } from 'node:test';
import assert from 'node:assert/strict';
import * as o from '../../src/core/options.js';
import { later, cancel, LongTimer, MAX_TIMER_MS } from '../../src/core/timers.js';

describe('core/options and core/timers', { timeout: 10_000 }, () => {
  test('unknown keys name the closest accepted one and list them all', () => {
    const keys = ['maxWorkers', 'minWorkers', 'idleTimeout'] as const;
    assert.throws(
      () => o.options('ThreadPoolExecutor', { max_workers: 5 }, keys),
      (e: unknown) =>
        e instanceof TypeError &&
        /unknown option "max_workers" \(did you mean "maxWorkers"\?\); accepted options: maxWorkers, minWorkers, idleTimeout/.test(
          e.message,
        ),
    );
    assert.throws(() => o.options('X', { maxWorker: 5 }, keys), /did you mean "maxWorkers"/);
    assert.throws(
      () => o.options('X', { zzz: 1 }, keys),
      (e: unknown) => e instanceof TypeError && !/did you mean/.test(e.message),
    );
    assert.deepEqual(o.options('X', undefined, keys), {});
    const given = { maxWorkers: 2 };
    assert.equal(o.options('X', given, keys), given);
  });

  test('a non-object is a TypeError; an array gets a hint for the key it meant', () => {
    assert.throws(
      () => o.options('new Thread(target, opts)', [2, 10], ['args', 'name'], 'args'),
      (e: unknown) => e instanceof TypeError && /got an array \[2, 10\]; to pass an array, name it: \{ args: \[\.\.\.\] \}/.test(e.message),
    );
    assert.throws(() => o.options('X', null, []), TypeError);
    assert.throws(() => o.options('X', 5, []), TypeError);
  });

  test('closest ignores case, underscores and small typos, and gives up on strangers', () => {
    assert.equal(o.closest('chunkSize', ['chunksize', 'ordered']), 'chunksize');
    assert.equal(o.closest('orderd', ['chunksize', 'ordered']), 'ordered');
    assert.equal(o.closest('banana', ['chunksize', 'ordered']), undefined);
  });

  test('wrong types are TypeError, out of range RangeError, both saying what was given', () => {
    assert.throws(
      () => o.int('P', 'maxWorkers', '5', 1, { min: 1 }),
      (e: unknown) => e instanceof TypeError && /"5" \(string\)/.test(e.message),
    );
    assert.throws(
      () => o.int('P', 'maxWorkers', 0, 1, { min: 1 }),
      (e: unknown) => e instanceof RangeError && /got 0/.test(e.message),
    );
    assert.throws(() => o.int('P', 'maxWorkers', 1.5, 1, { min: 1 }), RangeError);
    assert.equal(o.int('P', 'maxQueue', Infinity, 0, { infinity: true }), Infinity);
    assert.throws(() => o.int('P', 'maxQueue', Infinity, 0), RangeError);
    assert.throws(
      () => o.bool('map', 'ordered', 'no', true),
      (e: unknown) => e instanceof TypeError && /ordered must be true or false/.test(e.message),
    );
    assert.throws(() => o.oneOf('P', 'backend', 'thread', ['threads', 'processes'], 'threads'), /did you mean "threads"/);
    assert.equal(o.oneOf('P', 'backend', undefined, ['threads', 'processes'], 'threads'), 'threads');
  });

  test('timeouts follow Python: undefined and Infinity wait forever, zero or negative do not wait, NaN and strings are errors', () => {
    assert.equal(o.timeout('W', 'timeout', undefined), Infinity);
    assert.equal(o.timeout('W', 'timeout', Infinity), Infinity);
    assert.equal(o.timeout('W', 'timeout', -1), 0);
    assert.equal(o.timeout('W', 'timeout', 0), 0);
    assert.equal(o.timeout('W', 'timeout', 30 * 86_400_000), 30 * 86_400_000);
    assert.throws(() => o.timeout('W', 'timeout', '5'), TypeError);
    assert.throws(() => o.timeout('W', 'timeout', Number.NaN), RangeError);
    assert.throws(() => o.duration('P', 'cancelGrace', -1, 1000), RangeError);
    assert.equal(o.duration('P', 'cancelGrace', undefined, 1000), 1000);
  });

  test('a timer longer than 2^31-1 ms does not fire early; a short one fires', async () => {
    let fired = 0;
    const long = later(() => fired++, MAX_TIMER_MS * 2);
    assert.ok(long instanceof LongTimer);
    const short = later((n: number) => (fired += n), 1, 10);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(fired, 10);
    cancel(long);
    cancel(short);
    cancel(undefined);
  });
});
