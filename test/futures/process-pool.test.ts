/**
 * ProcessPoolExecutor: the executor contract. Tasks run in child processes, so
 * tests observe them through file-backed boards instead of shared memory.
 */
import { ProcessPoolExecutor } from 'weft/futures';
import { executorContract, poolOptions, POOL_BAD_OPTIONS } from '../contracts/executor.contract.ts';

type PoolOptions = ConstructorParameters<typeof ProcessPoolExecutor>[0];

executorContract('ProcessPoolExecutor', (o) => new ProcessPoolExecutor(poolOptions<PoolOptions>(o)), {
  closures: false,
  isolated: true,
  board: 'dir',
  maxQueue: true,
  construct: (raw) => new ProcessPoolExecutor(raw as PoolOptions),
  badOptions: [...POOL_BAD_OPTIONS, ['maxTasksPerChild', 0], ['maxTasksPerChild', '2'], ['maxTasksPerChild', NaN]],
});
