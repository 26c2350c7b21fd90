/** weft/multiprocessing exports exactly API.md's list; ProcessPoolExecutor is in weft and weft/futures. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as mp from 'weft/multiprocessing';
import * as futures from 'weft/futures';
import * as weft from 'weft';

describe('weft/multiprocessing exports', { timeout: 120_000 }, () => {
  it('exports Process, currentProcess, Pool, AsyncResult, Queue, Pipe, Connection, cpuCount and nothing else', () => {
    assert.deepEqual(Object.keys(mp).sort(), [
      'AsyncResult',
      'Connection',
      'Pipe',
      'Pool',
      'Process',
      'Queue',
      'cpuCount',
      'currentProcess',
    ]);
  });
  it('ProcessPoolExecutor is exported from weft/futures and weft', () => {
    assert.equal(typeof futures.ProcessPoolExecutor, 'function');
    assert.equal(weft.ProcessPoolExecutor, futures.ProcessPoolExecutor);
    assert.equal(mp.cpuCount, weft.cpuCount);
  });
});
