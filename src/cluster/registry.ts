/**
 * The live nodes of a queue: each node keeps a heartbeat key with a TTL
 * (`{weft:Q}:node:ID`, a JSON record) and its id in a sorted set
 * (`{weft:Q}:nodes`). A node that dies stops renewing its key, which expires:
 * readers list the set, fetch the keys, and drop the ids whose key is gone.
 */
import type { RedisClient } from './deps.js';
import type { QueueKeys } from './keys.js';

/** A worker node as `ClusterExecutor.nodes()` and `weft cluster status` show it. */
export interface ClusterNode {
  /** Unique id of the node process. */
  id: string;
  /** Host name of its machine. */
  host: string;
  pid: number;
  /** The queue it serves. */
  queue: string;
  /** Portable ids of the tasks it serves (`package/path/module.js#export`). */
  tasks: string[];
  /** Worker threads or processes of its local pool. */
  workers: number;
  /** Jobs it takes at once. */
  concurrency: number;
  /** Jobs it is running now. */
  busy: number;
  /** 'threads' or 'processes'. */
  backend: string;
  /** The lock duration it uses (ms): its running jobs count as lost this long after it dies. */
  lockDuration: number;
  /** weft's version on the node. */
  version: string;
  /** When it started (ms since the epoch). */
  since: number;
  /** Ids of the jobs it runs (a sweep uses them to tell a running job from a lost one). */
  running: string[];
  /** True once it stopped taking jobs (SIGINT/SIGTERM). */
  draining: boolean;
}

/** Writes a node's heartbeat, valid for `ttl` ms. */
export async function beat(redis: RedisClient, keys: QueueKeys, node: ClusterNode, ttl: number): Promise<void> {
  await redis
    .multi()
    .set(keys.node(node.id), JSON.stringify(node), 'PX', ttl)
    .zadd(keys.nodes, Date.now() + ttl, node.id)
    .exec();
}

/** Removes a node's heartbeat (a clean exit). */
export async function forget(redis: RedisClient, keys: QueueKeys, id: string): Promise<void> {
  await redis.multi().del(keys.node(id)).zrem(keys.nodes, id).exec();
}

/** The live nodes of a queue; ids whose heartbeat expired are removed from the set. */
export async function liveNodes(redis: RedisClient, keys: QueueKeys): Promise<ClusterNode[]> {
  const ids = await redis.zrange(keys.nodes, '0', '-1');
  if (ids.length === 0) return [];
  const raw = await redis.mget(ids.map((id) => keys.node(id)));
  const out: ClusterNode[] = [];
  const dead: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const r = raw[i];
    if (r == null) {
      dead.push(ids[i]!);
      continue;
    }
    try {
      out.push(JSON.parse(r) as ClusterNode);
    } catch {
      dead.push(ids[i]!);
    }
  }
  // Only ids whose heartbeat is long gone (score in the past) go: a node between SET and ZADD stays.
  if (dead.length) void redis.zremrangebyscore(keys.nodes, '-inf', String(Date.now() - 60_000)).catch(() => {});
  out.sort((a, b) => a.since - b.since || (a.id < b.id ? -1 : 1));
  return out;
}
