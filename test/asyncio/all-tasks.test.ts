/**
 * allTasks(): the tasks not yet done, in creation order, held weakly as Python's
 * WeakSet: a task stuck on a promise nobody else references can be collected (it was
 * kept forever), inside run() too, and run() still ends cleanly then. The registry
 * holds a task strongly for its first one to two seconds (see src/asyncio/task.ts),
 * so these tests wait that long: AGING_MS.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Event, ExceptionGroup, type Task, allTasks, createTask, run, sleep, taskGroup } from 'weft/asyncio';
import { fullGc } from '../contracts/gc.ts';

const tick = () => sleep(0);
/** Longer than a task stays in the registry's strong generations (2 x 1000 ms). */
const AGING_MS = 2500;
const never = () => new Promise<never>(() => {});
/** A cancellable wait (a plain promise is not: cancel() cannot end a task awaiting one) on an Event nobody else holds. */
const lonelyWait = () => new Event().wait();

/**
 * Creates `n` tasks stuck on waits that never end and nothing references, lets them
 * start, and returns only WeakRefs to them (the tasks are unreachable after).
 */
async function abandon(n: number, name: string, body: () => Promise<unknown> = never): Promise<WeakRef<Task<unknown>>[]> {
  const refs: WeakRef<Task<unknown>>[] = [];
  for (let i = 0; i < n; i++) refs.push(new WeakRef(createTask(body, { name: `${name}-${i}` })));
  await tick(); // started: each body awaits its never-settling promise
  return refs;
}

/** GCs until every WeakRef is empty, or gives up after 4 x AGING_MS; returns how many are not. */
async function collect(refs: WeakRef<object>[]): Promise<number> {
  const deadline = Date.now() + 4 * AGING_MS;
  for (;;) {
    await sleep(100);
    fullGc();
    if (refs.every((r) => r.deref() === undefined) || Date.now() > deadline) break;
  }
  return refs.filter((r) => r.deref() !== undefined).length;
}

const names = (prefix: string) => [...allTasks()].map((t) => t.name).filter((n) => n.startsWith(prefix));

describe('allTasks()', { timeout: 60_000 }, () => {
  it('does not keep alive a task stuck on a promise nobody references', async () => {
    const refs = await abandon(1, 'abandoned');
    assert.deepEqual(names('abandoned'), ['abandoned-0'], 'listed while it is alive');
    assert.equal(await collect(refs), 0, 'the stuck, unreferenced task was collected');
    assert.deepEqual(names('abandoned'), []);
  });

  it('inside run() too, and run() ends cleanly with a collected task among its leftovers', async () => {
    const kept: Task<unknown>[] = [];
    let cleaned = 0;
    const r = await run(
      async () => {
        // (waits that run() could cancel, so that without the fix this fails, not hangs)
        const refs = await abandon(3, 'in-run', lonelyWait);
        kept.push(
          createTask(async () => {
            try {
              await sleep(60_000);
            } finally {
              cleaned++;
            }
          }),
        );
        assert.equal(await collect(refs), 0, 'collected while run() is active');
        return 'main done';
      },
      { handleSignals: false },
    );
    assert.equal(r, 'main done');
    assert.equal(kept[0]!.cancelled(), true, 'a referenced leftover is still cancelled by run()');
    assert.equal(cleaned, 1);
    assert.deepEqual(names('in-run'), []);
  });

  it('lists a referenced stuck task until it is cancelled, and a task until it is done', async () => {
    let release!: () => void;
    const stuck = createTask(lonelyWait, { name: 'held-stuck' });
    await sleep(AGING_MS / 2);
    const later = createTask(() => new Promise<void>((r) => (release = r)), { name: 'held-later' });
    await tick();
    fullGc();
    assert.deepEqual(names('held-'), ['held-stuck', 'held-later'], 'creation order (across generations)');
    await sleep(AGING_MS);
    fullGc();
    assert.deepEqual(names('held-'), ['held-stuck', 'held-later'], 'once weakly held, a GC does not drop referenced tasks');
    stuck.cancel();
    await stuck.asPromise().catch(() => {});
    assert.equal(stuck.cancelled(), true);
    assert.deepEqual(names('held-'), ['held-later']);
    release();
    await later;
    assert.deepEqual(names('held-'), []);
  });

  it('keeps every live task, in creation order, across the sweeps that drop collected ones', async () => {
    const n = 3000; // more than a sweep's threshold (1024), several times over
    const dead = await abandon(n, 'gone');
    const releases: (() => void)[] = [];
    const live: Task<void>[] = [];
    assert.equal(await collect(dead), 0, 'the abandoned tasks were collected');
    for (let i = 0; i < n; i++) {
      live.push(createTask(() => new Promise<void>((r) => releases.push(r)), { name: `live-${i}` }));
      if (i % 1000 === 999) await tick();
    }
    await sleep(AGING_MS); // the live tasks move to the weak generation: n > 1024, a sweep
    fullGc();
    const listed = names('live-');
    assert.equal(listed.length, n);
    assert.deepEqual(
      listed,
      live.map((t) => t.name),
    );
    assert.deepEqual(names('gone-'), []);
    for (const r of releases) r();
    await Promise.all(live.map((t) => t.asPromise()));
    assert.deepEqual(names('live-'), []);
  });

  it('a TaskGroup keeps its tasks: a stuck child is not collected, and is cancelled with the group', async () => {
    let child: WeakRef<Task<unknown>> | undefined;
    let cleaned = false;
    await assert.rejects(
      taskGroup(async (tg) => {
        child = new WeakRef(
          tg.createTask(async () => {
            try {
              await lonelyWait();
            } finally {
              cleaned = true;
            }
          }),
        );
        await sleep(AGING_MS);
        fullGc();
        assert.ok(child.deref() !== undefined, 'the group holds its child');
        assert.ok(allTasks().has(child.deref()!));
        throw new RangeError('body failed');
      }),
      (e: unknown) => e instanceof ExceptionGroup && e.errors.length === 1 && e.errors[0] instanceof RangeError,
    );
    assert.equal(cleaned, true, 'the stuck child was cancelled when the body failed');
  });
});

describe('allTasks(): a task that starts the registry timer', { timeout: 60_000 }, () => {
  it('is not kept by it, while other tasks come and go', async () => {
    await sleep(AGING_MS); // the registry goes idle (nothing young): the next creation arms its timer
    let stuck!: WeakRef<Task<unknown>>;
    (() => {
      stuck = new WeakRef(
        createTask(
          async () => {
            await sleep(AGING_MS); // by then this task is weakly held and the timer idle again
            createTask(() => 1); // arms the timer from inside this task's async context
            await lonelyWait();
          },
          { name: 'armer' },
        ),
      );
    })();
    await sleep(AGING_MS + 500); // after the task armed the timer
    // Tasks keep coming (the registry's timer keeps re-arming) while we wait for `stuck` to go.
    let churn = true;
    const churner = (async () => {
      while (churn) {
        createTask(() => sleep(50));
        await sleep(50);
      }
    })();
    const left = await collect([stuck]);
    churn = false;
    await churner;
    assert.equal(left, 0, 'the stuck task that armed the timer was collected');
    assert.deepEqual(names('armer'), []);
  });
});
