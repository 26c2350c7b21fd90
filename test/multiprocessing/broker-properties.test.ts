/**
 * Property tests of the brokered primitives under random child deaths, at the
 * protocol level: fake children talk to the real holder objects through real
 * BrokerSessions (the messages a child process would send), read their replies
 * only when the script says so, and die at random points, also with replies
 * written to them and not read yet (the race a real SIGKILL makes). Thousands
 * of interleavings run in seconds; shared-processes.test.ts and
 * death-properties.test.ts check the same with real processes.
 *
 * Invariants: no item lost or duplicated, permits conserved, at most one holder
 * of a lock (and `abandoned` exactly when a holder died), a JoinableQueue item
 * done exactly once, nothing left waiting on a dead child.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BrokerSession, kBroker, type Brokerable } from '../../src/transport/brokered.ts';
import { BROKER } from '../../src/transport/protocol.ts';
import { Barrier, BoundedSemaphore, Condition, JoinableQueue, Lock, Queue, RLock, Semaphore } from '../../src/multiprocessing/index.ts';

const NUM_RUNS = Number(process.env.WEFT_FC_RUNS ?? 150);
const settle = async () => {
  for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
};

interface Pending {
  op: string;
  cancelled: boolean;
  onReply(ok: boolean, value: unknown): void;
}

/** A child process as the holder sees it: its session, and the replies written to it. */
class FakeChild {
  readonly session: BrokerSession;
  inbox: unknown[][] = [];
  dead = false;
  private nextId = 1;
  readonly pending = new Map<number, Pending>();
  constructor() {
    this.session = new BrokerSession((m) => {
      if (!this.dead) this.inbox.push(m as unknown[]);
    });
  }
  ask(channel: string, op: string, args: unknown[], onReply: Pending['onReply'] = () => {}): number {
    const id = this.nextId++;
    this.pending.set(id, { op, cancelled: false, onReply });
    this.session.handle([BROKER, id, channel, op, args]);
    return id;
  }
  tell(channel: string, op: string, args: unknown[]): void {
    this.session.handle([BROKER, 0, channel, op, args]);
  }
  /** Cancels the oldest pending call of `op` (its signal aborted in the child). */
  cancel(op: string): void {
    for (const [id, p] of this.pending) {
      if (p.op !== op || p.cancelled) continue;
      p.cancelled = true;
      this.session.handle([BROKER, 0, '', 'cancel', [id]]);
      return;
    }
  }
  /** Reads every reply written so far: confirms hand-overs (or refuses them after a cancel). */
  read(): void {
    const msgs = this.inbox;
    this.inbox = [];
    for (const m of msgs) {
      const id = m[1] as number;
      const p = this.pending.get(id);
      if (p === undefined) continue;
      this.pending.delete(id);
      const handover = m[4] === 1;
      if (handover) this.session.handle([BROKER, 0, '', p.cancelled ? 'nack' : 'ack', [id]]);
      if (p.cancelled && m[2]) continue; // cancel wins: the child throws CancelledError
      p.onReply(m[2] as boolean, m[3]);
    }
  }
  die(): void {
    this.dead = true;
    this.inbox = [];
    this.session.close();
  }
}

const channelOf = (o: Brokerable) => (o[kBroker]().data as { channel: string }).channel;
const timeoutArb = fc.constantFrom(Infinity, Infinity, 0, 1);

const step = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('ask' as const), c: fc.nat(2), t: timeoutArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('release' as const), c: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('read' as const), c: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), c: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('die' as const), c: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('local' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('tick' as const) }) },
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

/** Runs `steps` over three fake children (a dead one is replaced by a fresh one). */
async function drive(steps: Step[], on: (s: Step, child: FakeChild) => void | Promise<void>, onDie: (child: FakeChild) => void = () => {}) {
  const children = [new FakeChild(), new FakeChild(), new FakeChild()];
  for (const s of steps) {
    const i = 'c' in s ? s.c : 0;
    if (children[i]!.dead) children[i] = new FakeChild();
    const child = children[i]!;
    if (s.k === 'tick') await settle();
    else if (s.k === 'read') child.read();
    else if (s.k === 'die') {
      onDie(child);
      child.die();
    } else await on(s, child);
  }
  await settle();
  return children;
}

describe('brokered primitives: properties under random child deaths (protocol level)', { timeout: 120_000 }, () => {
  it('Queue (bounded, puts and gets from children): nothing duplicated, every confirmed or local put received', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(step, { maxLength: 60 }), async (maxsize, steps) => {
        const q = new Queue<number>(maxsize);
        const ch = channelOf(q);
        let next = 0;
        const put = new Set<number>();
        const mustArrive = new Set<number>(); // put here, or a child's put that was confirmed
        const received: number[] = [];
        const children = await drive(steps, async (s, child) => {
          if (s.k === 'ask') child.ask(ch, 'get', [s.t], (ok, v) => ok && received.push(v as number));
          else if (s.k === 'cancel') child.cancel('get');
          else if (s.k === 'release') {
            const x = next++;
            put.add(x);
            child.ask(ch, 'put', [x, Infinity], (ok) => ok && mustArrive.add(x));
          } else if (s.k === 'local') {
            if (q.qsize() > 0) received.push(q.getNowait());
            else if (!q.full()) {
              const x = next++;
              put.add(x);
              mustArrive.add(x);
              q.putNowait(x);
            }
          }
        });
        for (const c of children) if (!c.dead) c.read();
        for (const c of children) if (!c.dead) c.die();
        await settle();
        while (q.qsize() > 0) received.push(q.getNowait());
        const got = new Set(received);
        assert.equal(got.size, received.length, `an item was received twice: ${received}`);
        for (const x of received) assert.ok(put.has(x), `${x} was never put`);
        for (const x of mustArrive) assert.ok(got.has(x), `${x} was lost`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Queue: no item a child never read is lost when it dies (unbounded, every put accounted for)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const q = new Queue<number>();
        const ch = channelOf(q);
        let next = 0;
        const received: number[] = [];
        const children = await drive(steps, async (s, child) => {
          if (s.k === 'ask') child.ask(ch, 'get', [s.t], (ok, v) => ok && received.push(v as number));
          else if (s.k === 'cancel') child.cancel('get');
          else if (s.k === 'release' || s.k === 'local') q.putNowait(next++);
        });
        for (const c of children) if (!c.dead) c.read();
        for (const c of children) if (!c.dead) c.die();
        await settle();
        while (q.qsize() > 0) received.push(q.getNowait());
        assert.deepEqual(
          [...received].sort((a, b) => a - b),
          Array.from({ length: next }, (_, i) => i),
          'each item exactly once',
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Semaphore: permits are conserved, never more holders than permits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.array(step, { maxLength: 60 }), async (k, bounded, steps) => {
        const sem = bounded ? new BoundedSemaphore(k) : new Semaphore(k);
        const ch = channelOf(sem);
        const held = new Map<FakeChild, number>();
        let local = 0;
        const holders = () => local + [...held].reduce((n, [c, h]) => n + (c.dead ? 0 : h), 0);
        const children = await drive(steps, async (s, child) => {
          if (s.k === 'ask')
            child.ask(ch, 'acquire', [s.t], (ok) => {
              if (ok) held.set(child, (held.get(child) ?? 0) + 1);
            });
          else if (s.k === 'cancel') child.cancel('acquire');
          else if (s.k === 'release') {
            if ((held.get(child) ?? 0) > 0) {
              held.set(child, held.get(child)! - 1);
              child.tell(ch, 'release', []);
            }
          } else if (s.k === 'local') {
            if (local > 0) {
              local--;
              sem.release();
            } else if (sem.tryAcquire()) local++;
          }
          assert.ok(holders() <= k, `${holders()} holders of ${k} permits`);
        });
        for (const c of children) if (!c.dead) c.read();
        assert.ok(holders() <= k);
        for (const c of children) if (!c.dead) c.die();
        for (; local > 0; local--) sem.release();
        await settle();
        assert.equal(sem.value, k, 'every permit came back');
        assert.equal(sem.statistics().waiters, 0, 'no wait left on a dead child');
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Lock: one holder at a time; released when its holder dies; abandoned exactly then', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const lock = new Lock();
        const ch = channelOf(lock);
        const holding = new Set<FakeChild>();
        let expectAbandoned = false;
        const children = await drive(
          steps,
          async (s, child) => {
            if (s.k === 'ask')
              child.ask(ch, 'acquire', [s.t], (ok, abandoned) => {
                if (!ok) return;
                assert.equal(abandoned, expectAbandoned, 'abandoned says whether a holder died');
                expectAbandoned = false;
                holding.add(child);
              });
            else if (s.k === 'cancel') child.cancel('acquire');
            else if (s.k === 'release') {
              if (holding.delete(child)) child.tell(ch, 'release', []);
            }
            const live = [...holding].filter((c) => !c.dead);
            assert.ok(live.length <= 1, `${live.length} children hold the lock`);
          },
          (dying) => {
            // It dies holding the lock: released as abandoned.
            if (holding.delete(dying)) expectAbandoned = true;
          },
        );
        for (const c of children) if (!c.dead) c.read();
        for (const c of children) {
          if (c.dead) continue;
          if (holding.delete(c)) expectAbandoned = true;
          c.die();
        }
        await settle();
        const g = lock.tryAcquire();
        assert.ok(g, 'the lock is free once every child is gone');
        assert.equal(g.abandoned, expectAbandoned);
        g.release();
        assert.equal(lock.statistics().waiters, 0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Condition: one holder of its lock at a time (a wait holds it again when it answers); free once every child is gone', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(step, { maxLength: 60 }), async (reentrant, steps) => {
        const lock = reentrant ? new RLock() : new Lock();
        const cond = new Condition(lock);
        const lc = channelOf(lock);
        const cc = channelOf(cond);
        const holding = new Set<FakeChild>();
        const busy = new Set<FakeChild>(); // an acquire or a wait under way
        const check = () => {
          const live = [...holding].filter((c) => !c.dead);
          assert.ok(live.length <= 1, `${live.length} children hold the lock`);
          if (live.length === 1) assert.equal(lock.locked(), true);
        };
        const children = await drive(
          steps,
          async (s, child) => {
            if (s.k === 'ask' && !busy.has(child)) {
              busy.add(child);
              if (holding.has(child)) {
                // A wait: the holder releases the lock for it and takes it again before it answers.
                holding.delete(child);
                child.ask(cc, 'wait', [s.t], () => {
                  busy.delete(child);
                  holding.add(child);
                });
              } else
                child.ask(lc, 'acquire', [s.t], (ok) => {
                  busy.delete(child);
                  if (ok) holding.add(child);
                });
            } else if (s.k === 'release' && holding.has(child)) {
              child.tell(cc, 'notify', [1]);
              holding.delete(child);
              child.tell(lc, 'release', []);
            } else if (s.k === 'local') {
              const g = lock.tryAcquire();
              if (g) {
                cond.notifyAll();
                g.release();
              }
            }
            check();
          },
          (dying) => holding.delete(dying),
        );
        for (const c of children) if (!c.dead) c.read();
        check();
        for (const c of children) if (!c.dead) c.die();
        await settle();
        assert.equal(lock.locked(), false, 'the lock is free once every child is gone');
        assert.equal(lock.statistics().waiters, 0);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('JoinableQueue: each item is done exactly once or still queued; join resolves when all are done', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const q = new JoinableQueue<number>();
        const ch = channelOf(q);
        let next = 0;
        const done: number[] = [];
        const taken = new Map<FakeChild, number[]>();
        const children = await drive(steps, async (s, child) => {
          if (s.k === 'ask')
            child.ask(ch, 'get', [s.t], (ok, v) => {
              if (ok) taken.set(child, [...(taken.get(child) ?? []), v as number]);
            });
          else if (s.k === 'cancel') child.cancel('get');
          else if (s.k === 'release') {
            const mine = taken.get(child) ?? [];
            if (mine.length > 0) {
              done.push(mine.shift()!);
              child.tell(ch, 'taskDone', []);
            }
          } else if (s.k === 'local') q.putNowait(next++);
        });
        for (const c of children) if (!c.dead) c.read();
        for (const c of children) if (!c.dead) c.die();
        await settle();
        // Items taken by children that died without taskDone are back in the queue.
        const rest: number[] = [];
        while (q.qsize() > 0) rest.push(q.getNowait());
        assert.deepEqual(
          [...done, ...rest].sort((a, b) => a - b),
          Array.from({ length: next }, (_, i) => i),
          'each item done once or queued',
        );
        assert.equal(q.unfinished, rest.length);
        for (let i = 0; i < rest.length; i++) q.taskDone();
        await q.join({ timeout: 1000 });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Barrier: once every child is gone no party of theirs is left waiting; a death while waiting breaks it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.array(step, { maxLength: 40 }), async (parties, steps) => {
        const b = new Barrier(parties);
        const ch = channelOf(b);
        let localPending = 0;
        const local: Promise<unknown>[] = [];
        const waiting = new Set<FakeChild>(); // asked to wait, no answer read yet
        let diedWaiting = false;
        const children = await drive(
          steps,
          async (s, child) => {
            if (s.k === 'ask') {
              waiting.add(child);
              child.ask(ch, 'wait', [s.t], () => waiting.delete(child));
            } else if (s.k === 'cancel') child.cancel('wait');
            else if (s.k === 'release') {
              diedWaiting = false;
              await b.reset();
            } else if (s.k === 'local' && localPending < parties - 1) {
              localPending++;
              local.push(
                b.wait().then(
                  (v) => {
                    localPending--;
                    return v;
                  },
                  (e) => {
                    localPending--;
                    return e;
                  },
                ),
              );
            }
          },
          (dying) => {
            dying.read();
            if (waiting.has(dying) && b.nWaiting > localPending) diedWaiting = true;
          },
        );
        for (const c of children) if (!c.dead) c.die();
        await settle();
        assert.equal(b.nWaiting, localPending, "only this process's own waits may be left");
        if (diedWaiting) assert.equal(b.broken, true, 'a party died while waiting: the barrier is broken');
        await b.abort();
        const outcomes = await Promise.race([Promise.all(local), new Promise((r) => setTimeout(() => r('hang'), 2000))]);
        assert.notEqual(outcomes, 'hang', 'every wait of this process settled');
      }),
      { numRuns: Math.ceil(NUM_RUNS / 3) },
    );
  });
});
