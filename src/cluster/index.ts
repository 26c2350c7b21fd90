/**
 * weft/cluster: the same Executor across machines, on BullMQ and Redis.
 *
 * `ClusterExecutor` runs task refs on worker nodes (`weft worker`); Python's
 * twin is Dask's `distributed.Client`. Needs the optional peer dependencies
 * `bullmq` and `ioredis` (`npm install bullmq ioredis`); no other entry point
 * of weft loads them.
 */
export { ClusterExecutor, type ClusterExecutorOptions } from './executor.js';
export type { ClusterNode } from './registry.js';
export { WorkerNode, type WorkerNodeOptions } from './node.js';
export { clusterStatus, type ClusterStatus } from './status.js';
export {
  CancelledError,
  TimeoutError,
  BrokenExecutorError,
  WorkerCrashedError,
  ExecutorShutdownError,
  QueueFullError,
  TaskDefinitionError,
  InvalidStateError,
} from '../core/errors.js';
