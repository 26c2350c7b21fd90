/**
 * The asyncio programs of the seeds (see examples/asyncio/), as tests: same
 * structure, output collected in an array; no timing assertions, only order.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TaskGroup, createTask, gather, run, sleep, taskGroup } from 'weft/asyncio';

describe('seed programs', { timeout: 30_000 }, () => {
  it('hello / world: run(main) with a sleep', async () => {
    const out: string[] = [];
    await run(
      async () => {
        out.push('hello');
        await sleep(10);
        out.push('world');
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['hello', 'world']);
  });

  it('first / other: awaiting a coroutine inside a coroutine', async () => {
    const out: string[] = [];
    const other = async () => 'two';
    await run(
      async () => {
        out.push('one');
        out.push(await other());
        out.push('three');
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['one', 'two', 'three']);
  });

  it('count() x3 under gather: all "One" before any "Two"', async () => {
    const out: string[] = [];
    async function count() {
      out.push('One');
      await sleep(20);
      out.push('Two');
    }
    await run(
      async () => {
        await gather(count(), count(), count());
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['One', 'One', 'One', 'Two', 'Two', 'Two']);
  });

  const sayAfter = (out: string[]) => async (delay: number, what: string) => {
    await sleep(delay);
    out.push(what);
  };

  it('say_after awaited in sequence', async () => {
    const out: string[] = [];
    const say = sayAfter(out);
    await run(
      async () => {
        out.push('started');
        await say(20, 'hello');
        await say(10, 'world');
        out.push('finished');
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['started', 'hello', 'world', 'finished']);
  });

  it('say_after with createTask: tasks start after "started", run concurrently', async () => {
    const out: string[] = [];
    const say = sayAfter(out);
    await run(
      async () => {
        const task1 = createTask(() => say(10, 'hello'));
        const task2 = createTask(() => say(40, 'world'));
        out.push('started');
        await task1;
        await task2;
        out.push('finished');
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['started', 'hello', 'world', 'finished']);
  });

  it('say_after with a TaskGroup (await using)', async () => {
    const out: string[] = [];
    const say = sayAfter(out);
    await run(
      async () => {
        {
          await using tg = new TaskGroup();
          tg.createTask(() => say(10, 'hello'));
          tg.createTask(() => say(40, 'world'));
          out.push('started');
        }
        out.push('finished');
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['started', 'hello', 'world', 'finished']);
  });

  it('say_after with taskGroup(body)', async () => {
    const out: string[] = [];
    const say = sayAfter(out);
    await run(
      async () => {
        await taskGroup(async (tg) => {
          tg.createTask(() => say(40, 'world'));
          tg.createTask(() => say(10, 'hello'));
          out.push('started');
        });
        out.push('finished');
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['started', 'hello', 'world', 'finished']);
  });

  it('coroutine1 / coroutine2: the shorter sleep finishes first', async () => {
    const out: string[] = [];
    await run(
      async () => {
        const task1 = createTask(async () => {
          out.push('Task 1 started');
          await sleep(40);
          out.push('Task 1 finished');
        });
        const task2 = createTask(async () => {
          out.push('Task 2 started');
          await sleep(10);
          out.push('Task 2 finished');
        });
        await task1;
        await task2;
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['Task 1 started', 'Task 2 started', 'Task 2 finished', 'Task 1 finished']);
  });

  it('async generator consumed with for await', async () => {
    const out: string[] = [];
    const thing = async () => 'thing';
    async function* asyncgen() {
      yield await thing();
      yield 'two';
    }
    await run(
      async () => {
        for await (const value of asyncgen()) out.push(value);
      },
      { handleSignals: false },
    );
    assert.deepEqual(out, ['thing', 'two']);
  });
});
