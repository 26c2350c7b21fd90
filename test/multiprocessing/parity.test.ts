/**
 * Python parity and clear mistakes in weft/multiprocessing: a blocking get
 * keeps the program alive while a daemon child may still put (issue 9, defect
 * 11); Pool.imap over an input that throws (issue 10, item 7); timeouts that
 * follow Python (negative: do not wait; 30 days: honoured); argument and
 * option mistakes named clearly (issue 13).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { AsyncResult, Pipe, Pool, Queue } from 'weft/multiprocessing';
import { TimeoutError } from 'weft';
import tasks from '../fixtures/mp-tasks.mjs';
import { guard, installExitGuard } from '../contracts/helpers.ts';
import { runChild } from '../contracts/child.ts';

installExitGuard();

const program = fileURLToPath(new URL('../fixtures/mp-daemon-get.mjs', import.meta.url));
const DAY = 24 * 3600 * 1000;

async function collect<T>(it: AsyncIterable<T>): Promise<{ got: T[]; error: unknown }> {
  const got: T[] = [];
  try {
    for await (const x of it) got.push(x);
    return { got, error: undefined };
  } catch (error) {
    return { got, error };
  }
}

describe('multiprocessing: Python parity and clear mistakes', { timeout: 120_000 }, () => {
  describe('a pending wait on a brokered object keeps the program alive while a child may settle it', () => {
    it('top-level await q.get() fed by a daemon Process prints the item (no exit 13)', async () => {
      const r = await runChild(process.execPath, [program, 'get'], { timeoutMs: 30_000 });
      assert.equal(r.killed, false);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /got late item/);
    });
    it('the same with an Event a daemon child sets', async () => {
      const r = await runChild(process.execPath, [program, 'event'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /event true/);
    });
    it('once no child is left to put, the program does not wait forever (Node ends it with 13)', async () => {
      const r = await runChild(process.execPath, [program, 'nobody'], { timeoutMs: 30_000 });
      assert.equal(r.killed, false, 'it ended by itself');
      assert.equal(r.code, 13);
      assert.match(r.stdout, /waiting/);
    });
  });

  describe('Pool', () => {
    const pool = new Pool({ processes: 2 });
    after(() => pool.terminate());

    it('imap over an input that throws yields the results before the failure, then raises', async () => {
      const boom = new RangeError('input broke');
      function* items() {
        yield 1;
        yield 2;
        yield 3;
        throw boom;
      }
      const r = await guard(collect(pool.imap(tasks.square, items(), 1)), 'imap');
      assert.deepEqual(r.got, [1, 4, 9]);
      assert.equal(r.error, boom);
      async function* asyncItems() {
        yield 4;
        yield 5;
        throw boom;
      }
      const u = await guard(collect(pool.imapUnordered(tasks.square, asyncItems())), 'imapUnordered');
      assert.deepEqual(
        u.got.sort((a, b) => a - b),
        [16, 25],
      );
      assert.equal(u.error, boom);
      // An input that throws at once: no results, then the error.
      const first = await guard(
        collect(
          pool.imap(tasks.square, {
            [Symbol.iterator]() {
              throw boom;
            },
          } as Iterable<number>),
        ),
        'imap throws at once',
      );
      assert.deepEqual(first, { got: [], error: boom });
      // Stopping early still stops the input.
      let closed = false;
      function* endless() {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          closed = true;
        }
      }
      for await (const x of pool.imap(tasks.square, endless(), 1)) if (x >= 4) break;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(closed, true, 'the input was closed');
    });

    it('apply(fn, 3, 4) says args is an array and how to write the call', async () => {
      await assert.rejects(
        pool.apply(tasks.add, 3 as any, 4 as never),
        (e: any) =>
          e instanceof TypeError &&
          /^Pool\.apply\(fn, args\) expects args as an array of arguments, got 3 \(number\)/.test(e.message) &&
          /pool\.apply\(fn, \[3, 4\]\)/.test(e.message),
      );
      await assert.rejects(pool.apply(tasks.add, 'ab' as any), /Pool\.apply\(fn, args\) expects args as an array/);
      assert.throws(() => pool.applyAsync(tasks.add, 5 as any), /Pool\.applyAsync\(fn, args\) expects args as an array/);
      assert.throws(() => pool.applyAsync(tasks.add, [1, 2], { callbak: () => {} } as any), /did you mean "callback"/);
      assert.equal(await guard(pool.apply(tasks.add, [3, 4]), 'apply'), 7);
    });

    it('options: unknown keys name the closest one; wrong types are TypeError, out of range RangeError', () => {
      assert.throws(
        () => new Pool({ max_tasks_per_child: 2 } as any),
        /unknown option "max_tasks_per_child" \(did you mean "maxtasksperchild"\?\)/,
      );
      assert.throws(() => new Pool({ processes: 'two' } as any), TypeError);
      assert.throws(() => new Pool({ processes: 0 }), RangeError);
      assert.throws(() => new Pool({ initargs: 5 } as any), TypeError);
      assert.throws(() => new Pool([2] as any), TypeError);
      assert.throws(() => pool.imap(tasks.square, [1], 0), RangeError);
      assert.throws(() => pool.imap(tasks.square, [1], '2' as any), TypeError);
    });

    it('AsyncResult: a negative timeout does not wait, a 30-day one is honoured, a bad one is a TypeError', async () => {
      const r = pool.applyAsync(tasks.sleep, [300, 'late']);
      await assert.rejects(r.get(-1), TimeoutError);
      await r.wait(-1); // returns at once
      assert.equal(r.ready(), false);
      const t0 = Date.now();
      assert.equal(await guard(r.get(30 * DAY), 'get with a 30-day timeout'), 'late');
      assert.ok(Date.now() - t0 >= 150, 'it waited for the result, not for a timer that fired at once');
      await assert.rejects(r.get('1' as any), TypeError);
      assert.ok(r instanceof AsyncResult);
    });
  });

  it('Connection.poll and Queue.get: negative timeouts answer at once, long ones are honoured', async () => {
    const [a, b] = Pipe();
    assert.equal(await guard(b.poll(-1), 'poll(-1)'), false);
    const p = b.poll(30 * DAY);
    let settled = false;
    p.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, 'a 30-day poll did not answer at once');
    a.send('x');
    assert.equal(await guard(p, 'poll'), true);
    await assert.rejects(b.poll('1' as any), TypeError);
    const q = new Queue();
    const t0 = Date.now();
    await assert.rejects(q.get({ timeout: -1 }), (e: any) => e.name === 'QueueEmpty');
    assert.ok(Date.now() - t0 < 1000);
  });
});
