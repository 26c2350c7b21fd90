/** weft/multiprocessing exports exactly API.md's list; ProcessPoolExecutor is in weft and weft/futures. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as mp from 'weft/multiprocessing';
import * as futures from 'weft/futures';
import * as weft from 'weft';

describe('weft/multiprocessing exports', { timeout: 120_000 }, () => {
  it("exports API.md's list, the errors its API throws, and nothing else", () => {
    const api = [
      'Process',
      'currentProcess',
      'activeChildren',
      'Pool',
      'AsyncResult',
      'Queue',
      'JoinableQueue',
      'Pipe',
      'Connection',
      'Value',
      'SharedArray',
      'Lock',
      'RLock',
      'Semaphore',
      'BoundedSemaphore',
      'Event',
      'Condition',
      'Barrier',
      'cpuCount',
    ];
    const errors = [
      'CancelledError',
      'TimeoutError',
      'InvalidStateError',
      'ValueError',
      'QueueEmpty',
      'QueueFull',
      'BrokenBarrierError',
      'BrokenExecutorError',
      'WorkerCrashedError',
      'TaskDefinitionError',
      'ExecutorShutdownError',
      'EOFError',
    ];
    assert.deepEqual(Object.keys(mp).sort(), [...api, ...errors, 'Guard'].sort());
    for (const e of errors) {
      const E = (mp as any)[e];
      assert.equal(typeof E, 'function', e);
      if (e !== 'EOFError') assert.equal(E, (weft as any)[e], `${e} is the class weft exports`);
    }
  });
  it('ProcessPoolExecutor is exported from weft/futures and weft', () => {
    assert.equal(typeof futures.ProcessPoolExecutor, 'function');
    assert.equal(weft.ProcessPoolExecutor, futures.ProcessPoolExecutor);
    assert.equal(mp.cpuCount, weft.cpuCount);
  });
});
