import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, ExceptionGroup, InvalidStateError, TaskGroup, createTask, run, sleep, taskGroup, type Task } from 'weft/asyncio';

const tick = () => sleep(0);

describe('TaskGroup / taskGroup', { timeout: 60_000 }, () => {
  it('waits for every child and returns the body result', async () => {
    const done: number[] = [];
    const r = await taskGroup(async (tg) => {
      for (const ms of [15, 5, 10])
        tg.createTask(async () => {
          await sleep(ms);
          done.push(ms);
        });
      return 'body';
    });
    assert.equal(r, 'body');
    assert.deepEqual(done, [5, 10, 15]);
  });

  it('the first failure cancels siblings and the body; errors come as one ExceptionGroup', async () => {
    const log: string[] = [];
    let sibling: Task<void> | undefined;
    const err = await taskGroup(async (tg) => {
      tg.createTask(async () => {
        await sleep(1);
        throw new Error('boom');
      });
      sibling = tg.createTask(async () => {
        try {
          await sleep(10_000);
        } finally {
          log.push('sibling cleanup');
        }
      });
      try {
        await sleep(10_000);
      } finally {
        log.push('body cancelled');
      }
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ExceptionGroup);
    assert.ok(err instanceof AggregateError);
    assert.equal(err.errors.length, 1);
    assert.equal((err.errors[0] as Error).message, 'boom');
    assert.deepEqual(log.sort(), ['body cancelled', 'sibling cleanup']);
    assert.equal(sibling!.cancelled(), true);
  });

  it('several failures are all reported; a body error is reported with them', async () => {
    const err = await taskGroup(async (tg) => {
      tg.createTask(async () => {
        throw new Error('a');
      });
      tg.createTask(async () => {
        throw new Error('b');
      });
      await tick();
    }).catch((e: unknown) => e);
    assert.ok(err instanceof ExceptionGroup);
    assert.deepEqual(err.errors.map((e) => (e as Error).message).sort(), ['a', 'b']);
    let child: Task<void> | undefined;
    const err2 = await taskGroup(async (tg) => {
      child = tg.createTask(() => sleep(10_000));
      throw new TypeError('body failed');
    }).catch((e: unknown) => e);
    assert.ok(err2 instanceof ExceptionGroup);
    assert.ok(err2.errors[0] instanceof TypeError);
    assert.equal(child!.cancelled(), true);
  });

  it('createTask is refused once the group is shutting down or finished', async () => {
    let tgRef: TaskGroup | undefined;
    const err = await taskGroup(async (tg) => {
      tgRef = tg;
      tg.createTask(async () => {
        throw new Error('x');
      });
      await sleep(10_000).catch(() => undefined);
      assert.throws(() => tg.createTask(() => 1), /shutting down/);
    }).catch((e: unknown) => e);
    assert.ok(err instanceof ExceptionGroup);
    assert.throws(() => tgRef!.createTask(() => 1), InvalidStateError);
    assert.throws(() => tgRef!.createTask(() => 1), /finished/);
  });

  it('children may start siblings while the group waits at exit', async () => {
    const log: string[] = [];
    await taskGroup(async (tg) => {
      tg.createTask(async () => {
        await sleep(2);
        tg.createTask(async () => {
          await sleep(2);
          log.push('grandchild');
        });
      });
    });
    assert.deepEqual(log, ['grandchild']);
  });

  it('tg.cancel() cancels children and body and is not an error', async () => {
    let child: Task<void> | undefined;
    const r = await taskGroup(async (tg) => {
      child = tg.createTask(() => sleep(10_000));
      tg.createTask(async () => {
        await sleep(1);
        tg.cancel();
      });
      await sleep(10_000);
      return 'not reached';
    });
    assert.equal(r, undefined);
    assert.equal(child!.cancelled(), true);
  });

  it('cancelling the parent task cancels the group; the parent ends cancelled, not with an ExceptionGroup', async () => {
    const log: string[] = [];
    const parent = createTask(() =>
      taskGroup(async (tg) => {
        tg.createTask(async () => {
          try {
            await sleep(10_000);
          } finally {
            log.push('child');
          }
        });
        try {
          await sleep(10_000);
        } finally {
          log.push('body');
        }
      }),
    );
    await sleep(1);
    parent.cancel();
    await assert.rejects(parent.asPromise(), CancelledError);
    assert.equal(parent.cancelled(), true);
    assert.deepEqual(log.sort(), ['body', 'child']);
  });

  it('await using: waits for children; a child failure throws an ExceptionGroup', async () => {
    const done: string[] = [];
    await run(
      async () => {
        {
          await using tg = new TaskGroup();
          tg.createTask(async () => {
            await sleep(3);
            done.push('a');
          });
          tg.createTask(async () => {
            await sleep(1);
            done.push('b');
          });
        }
        assert.deepEqual(done, ['b', 'a']);
        const err = await (async () => {
          await using tg = new TaskGroup();
          tg.createTask(async () => {
            throw new Error('child');
          });
          tg.createTask(() => sleep(10_000));
        })().catch((e: unknown) => e);
        assert.ok(err instanceof ExceptionGroup);
        assert.equal((err.errors[0] as Error).message, 'child');
      },
      { handleSignals: false },
    );
  });

  it('await using inside a cancelled parent: children are cancelled, CancelledError comes out', async () => {
    let child: Task<void> | undefined;
    const parent = createTask(async () => {
      await using tg = new TaskGroup();
      child = tg.createTask(() => sleep(10_000));
      await sleep(10_000);
    });
    await sleep(1);
    parent.cancel();
    await assert.rejects(parent.asPromise(), CancelledError);
    assert.equal(child!.cancelled(), true);
  });

  it('a child returning normally after its cancellation is not a failure', async () => {
    const r = await taskGroup(async (tg) => {
      tg.createTask(async () => {
        try {
          await sleep(10_000);
        } catch {
          return 'swallowed';
        }
      });
      tg.createTask(async () => {
        await sleep(1);
        tg.cancel();
      });
      return 1;
    });
    assert.equal(r, 1);
  });

  it('rejects a non-function body or child', async () => {
    await assert.rejects(taskGroup(1 as unknown as () => Promise<void>), TypeError);
    await taskGroup(async (tg) => {
      assert.throws(() => tg.createTask('x' as unknown as () => void), TypeError);
    });
  });

  it('100k tasks in one TaskGroup', async () => {
    let n = 0;
    await taskGroup(async (tg) => {
      for (let i = 0; i < 100_000; i++)
        tg.createTask(async () => {
          await null;
          n++;
        });
    });
    assert.equal(n, 100_000);
  });
});
