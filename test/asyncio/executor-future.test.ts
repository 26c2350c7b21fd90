/**
 * Awaiting an executor's Future inside an asyncio Task is a weft wait like any
 * other: cancelling the task rejects the await with CancelledError and cancels
 * the executor future (Python: asyncio.wrap_future).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadPoolExecutor, AsyncExecutor, type Future } from 'weft/futures';
import { CancelledError, createTask, sleep, timeout, TimeoutError } from 'weft/asyncio';
import tasks from '../fixtures/tasks.mjs';

describe('executor futures awaited inside asyncio tasks', { timeout: 30_000 }, () => {
  it('cancelling the task rejects the await and cancels the thread-pool future', async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1, cancelGrace: 100 });
    let inner: Future<unknown> | undefined;
    const task = createTask(async () => {
      inner = pool.submit(tasks.sleep, 60_000, 'never');
      return await inner;
    });
    while (inner === undefined || !inner.running()) await sleep(5);
    task.cancel();
    await assert.rejects(task, CancelledError);
    assert.equal(inner!.state, 'cancelled');
    assert.equal(await pool.submit(tasks.add, 2, 3), 5, 'the pool goes on');
  });

  it('timeout() around an awaited AsyncExecutor future cancels it', async () => {
    await using ex = new AsyncExecutor();
    let inner: Future<unknown> | undefined;
    const r = await createTask(() =>
      timeout(10, async () => {
        inner = ex.submit(() => sleep(60_000));
        return await inner;
      }).catch((e: unknown) => e),
    );
    assert.ok(r instanceof TimeoutError, `expected TimeoutError, got ${String(r)}`);
    assert.equal(inner!.cancelled(), true);
  });

  it('outside any task, awaiting a future is a plain await', async () => {
    await using ex = new AsyncExecutor();
    assert.equal(await ex.submit(() => 42), 42);
  });
});
