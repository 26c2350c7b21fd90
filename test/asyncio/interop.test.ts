/**
 * weft/asyncio waits inside other weft contexts: a job of AsyncExecutor (weft/futures)
 * provides only an AbortSignal; asyncio waits started there must be cancelled with it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncExecutor } from 'weft/futures';
import { CancelledError, Lock, Queue, sleep, timeout, TimeoutError, wait } from 'weft/asyncio';

describe('asyncio waits inside an AsyncExecutor job', { timeout: 30_000 }, () => {
  it("cancelling the job's future cancels the asyncio wait it is blocked in", async () => {
    await using ex = new AsyncExecutor({ maxConcurrency: 2 });
    const log: string[] = [];
    const q = new Queue<number>();
    const f1 = ex.submit(async () => {
      try {
        await sleep(60_000);
      } catch (e) {
        log.push(`sleep: ${(e as Error).name}`);
        throw e;
      }
    });
    const f2 = ex.submit(async () => {
      try {
        await q.get();
      } catch (e) {
        log.push(`get: ${(e as Error).name}`);
        throw e;
      }
    });
    await sleep(5);
    f1.cancel();
    f2.cancel();
    await sleep(5);
    assert.deepEqual(log.sort(), ['get: CancelledError', 'sleep: CancelledError']);
    assert.equal(q.statistics().getters, 0);
    q.putNowait(1);
    assert.equal(q.getNowait(), 1, 'the cancelled getter took nothing');
  });

  it('timeout() and Lock work inside a job; wait() accepts executor futures', async () => {
    await using ex = new AsyncExecutor();
    const lock = new Lock();
    const f = ex.submit(async () => {
      const r = await timeout(5, () => sleep(60_000)).catch((e: unknown) => e);
      using _g = await lock.acquire();
      return r instanceof TimeoutError;
    });
    const { done } = await wait([f]);
    assert.equal(done.size, 1);
    assert.equal(await f, true);
    assert.equal(lock.locked(), false);
    await assert.rejects(sleep(1, undefined, { signal: AbortSignal.abort() }), CancelledError);
  });
});
