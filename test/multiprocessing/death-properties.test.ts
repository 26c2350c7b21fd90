/**
 * Property test with real processes: children run random scripts over shared
 * brokered objects (a Semaphore, a Lock, a JoinableQueue, a Barrier) and are
 * SIGKILLed at random moments (by a timer of their own, or by the parent),
 * whatever they are doing: waiting, holding, with an answer on its way.
 * Whatever happens: no child process hangs, permits are all back, the lock is
 * free, and no item is lost (each one was recorded by a consumer or is back in
 * the queue, and `unfinished` counts exactly those).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Barrier, JoinableQueue, Lock, Process, Queue, Semaphore } from 'weft/multiprocessing';
import tasks from '../fixtures/mp-shared.mjs';
import { guard, installExitGuard } from '../contracts/helpers.ts';

installExitGuard();

const RUNS = Number(process.env.WEFT_FC_PROC_RUNS ?? 8);
const live: Process[] = [];

const stepArb = fc.oneof(
  fc.record({ op: fc.constant('acquire'), on: fc.constantFrom('sem', 'lock'), timeout: fc.constantFrom(undefined, 50) }),
  fc.record({ op: fc.constant('releaseOne') }),
  fc.record({ op: fc.constant('get'), timeout: fc.constantFrom(50, 200), dieAfterGet: fc.boolean() }),
  fc.record({ op: fc.constant('barrier'), timeout: fc.constant(300) }),
  fc.record({ op: fc.constant('sleep'), ms: fc.integer({ min: 0, max: 30 }) }),
);
const childArb = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 8 }),
  dieIn: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
  parentKillsAt: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
});

describe('brokered primitives: properties with real processes killed at random', { timeout: 300_000 }, () => {
  after(() => {
    for (const p of live) if (p.isAlive()) p.kill();
  });

  it('permits conserved, lock released, no item lost, no process left waiting', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(childArb, { minLength: 2, maxLength: 3 }), fc.integer({ min: 0, max: 6 }), async (kids, nItems) => {
        const sem = new Semaphore(2);
        const lock = new Lock();
        const q = new JoinableQueue<number>();
        const out = new Queue<number>();
        const barrier = new Barrier(kids.length);
        for (let i = 0; i < nItems; i++) q.putNowait(i);
        const objs = { sem, lock, q, out, barrier };
        const procs = kids.map((k) => {
          const p = new Process(tasks.script, { args: [objs, k.steps, k.dieIn] });
          p.start();
          live.push(p);
          if (k.parentKillsAt !== undefined) setTimeout(() => p.kill(), k.parentKillsAt);
          return p;
        });
        await guard(Promise.all(procs.map((p) => p.join())), 'every child ended (none hangs)', 30_000);
        // Every session is closed once join() resolved: what the dead held is back.
        assert.equal(sem.value, 2, 'every permit is back');
        assert.equal(sem.statistics().waiters, 0);
        assert.equal(lock.locked(), false, 'the lock is free');
        assert.equal(lock.statistics().waiters, 0);
        assert.equal(barrier.nWaiting, 0, 'nobody waits on the barrier');
        const recorded = new Set<number>();
        while (out.qsize() > 0) recorded.add(out.getNowait());
        const back: number[] = [];
        while (q.qsize() > 0) back.push(q.getNowait());
        for (let i = 0; i < nItems; i++) assert.ok(recorded.has(i) || back.includes(i), `item ${i} was lost`);
        assert.equal(q.unfinished, back.length, 'unfinished counts the items not done');
        for (let i = 0; i < back.length; i++) q.taskDone();
        await guard(q.join(), 'join');
      }),
      { numRuns: RUNS },
    );
  });
});
