/**
 * The executor contract over ClusterExecutor: a real redis-server and worker
 * nodes in child processes. `workers: 1` runs on a queue served by one node
 * with one worker, `workers: 2` on one served by two nodes of one worker each
 * (so tasks cross nodes), more on one node of four workers. Inline functions are refused (no code
 * goes over the wire); everything else in the contract holds.
 */
import { before, after, describe, it } from 'node:test';
import { ClusterExecutor } from 'weft/cluster';
import { executorContract, type ContractOptions } from '../contracts/executor.contract.ts';
import { RedisServer, WorkerProc, requireRedis, stopAll, suite } from './_cluster.ts';

let redis: RedisServer | undefined;
const url = () => {
  if (!redis) throw new Error('redis-server did not start');
  return redis.url;
};

describe('cluster contract setup', suite(120_000), () => {
  before(async () => {
    requireRedis();
    redis = await RedisServer.start();
    await Promise.all([
      WorkerProc.start(redis.url, { queue: 'one', workers: 1, cancelGrace: 100 }),
      WorkerProc.start(redis.url, { queue: 'two', workers: 1, cancelGrace: 100 }),
      WorkerProc.start(redis.url, { queue: 'two', workers: 1, cancelGrace: 100 }),
      WorkerProc.start(redis.url, { queue: 'four', workers: 4, cancelGrace: 100 }),
    ]);
  });
  it('starts a redis-server and four worker nodes', () => {});
});

after(async () => {
  await stopAll();
  // Diagnostics: what still holds the event loop a few seconds after the last test.
  setTimeout(() => {
    const handles = (process as any)
      ._getActiveHandles()
      .map((h: any) => h?.constructor?.name + (h?.remoteAddress ? ` ${h.remoteAddress}:${h.remotePort}` : ''));
    console.error(`# still alive: ${handles.join(', ')}`);
  }, 5000).unref();
});

/** The queue whose nodes give as many workers as a test asks for (at least). */
const QUEUES = ['', 'one', 'two', 'four'];

const make = (o?: ContractOptions) =>
  new ClusterExecutor({
    connection: url(),
    queue: QUEUES[Math.min(o?.workers ?? 2, 3)],
    ...(o?.maxQueue !== undefined ? { maxQueue: o.maxQueue } : {}),
  });

if (!suite(0).skip) {
  executorContract('ClusterExecutor', make, {
    inline: false,
    closures: false,
    isolated: true,
    board: 'dir',
    maxQueue: true,
    construct: (raw) => new ClusterExecutor({ connection: 'redis://127.0.0.1:1', ...raw } as any),
    badOptions: [
      ['maxRetries', -1],
      ['maxRetries', '1'],
      ['lockDuration', 0],
      ['lockDuration', 'x'],
      ['noWorkersTimeout', -5],
      ['noWorkersTimeout', 'soon'],
      ['maxPayload', 0],
      ['maxPayload', 1.5],
      ['maxQueue', 0],
      ['maxQueue', '4'],
      ['queue', 'a:b'],
      ['queue', 7],
    ],
  });
}
