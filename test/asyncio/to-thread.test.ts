import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, Future, run, toThread } from 'weft/asyncio';

describe('toThread', { timeout: 60_000 }, () => {
  it('runs a self-contained function in a worker thread; run() shuts the default pool down', async () => {
    const r = await run(
      async () => {
        const f = toThread((a: number, b: number) => a * b, 6, 7);
        assert.ok(f instanceof Future);
        const inWorker = await toThread(async () => (await import('node:worker_threads')).isMainThread);
        return [await f, inWorker];
      },
      { handleSignals: false },
    );
    assert.deepEqual(r, [42, false]);
  });

  it('errors come back as the worker threw them; bad fn rejects with TypeError', async () => {
    await run(
      async () => {
        await assert.rejects(
          toThread(() => {
            throw new RangeError('in worker');
          }).asPromise(),
          RangeError,
        );
        await assert.rejects(toThread(5 as never).asPromise(), TypeError);
      },
      { handleSignals: false },
    );
  });

  it('cancelling the future cancels the work', async () => {
    await run(
      async () => {
        const f = toThread(() => new Promise((r) => setTimeout(r, 60_000)));
        f.cancel();
        await assert.rejects(f.asPromise(), CancelledError);
      },
      { handleSignals: false },
    );
  });
});
