/**
 * ProcessPoolExecutor: the executor contract. Tasks run in child processes, so
 * tests observe them through file-backed boards instead of shared memory.
 */
import { ProcessPoolExecutor } from 'weft/futures';
import { executorContract, type ContractOptions } from '../contracts/executor.contract.ts';

type PoolOptions = ConstructorParameters<typeof ProcessPoolExecutor>[0];

function poolOptions(o?: ContractOptions): PoolOptions {
  const opts: Record<string, unknown> = {};
  if (o?.workers !== undefined) opts.maxWorkers = o.workers;
  if (o?.maxQueue !== undefined) opts.maxQueue = o.maxQueue;
  if (o?.cancelGrace !== undefined) opts.cancelGrace = o.cancelGrace;
  return opts as PoolOptions;
}

executorContract('ProcessPoolExecutor', (o) => new ProcessPoolExecutor(poolOptions(o)), {
  closures: false,
  isolated: true,
  board: 'dir',
  maxQueue: true,
  construct: (raw) => new ProcessPoolExecutor(raw as PoolOptions),
  badOptions: [
    ['maxWorkers', 0], ['maxWorkers', -1], ['maxWorkers', '4'], ['maxWorkers', NaN], ['maxWorkers', 1.5],
    ['maxQueue', -1], ['maxQueue', '4'], ['maxQueue', NaN],
    ['cancelGrace', -1], ['cancelGrace', '4'], ['cancelGrace', NaN],
    ['maxTasksPerChild', 0], ['maxTasksPerChild', '2'], ['maxTasksPerChild', NaN],
  ],
});
