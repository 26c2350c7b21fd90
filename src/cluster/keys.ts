/**
 * Where a queue lives in Redis.
 *
 * Every key of one queue shares one hash tag, `{weft:NAME}`, so a Redis Cluster
 * keeps the whole queue in one slot (BullMQ's Lua scripts touch several keys
 * at once, and a cluster refuses that across slots). BullMQ's own keys are
 * `{weft:NAME}:NAME:...`; weft adds the node registry, one reply stream per
 * client and the cancel channel under the same tag.
 */
import { describe } from '../core/errors.js';

export interface QueueKeys {
  /** The queue's name (the BullMQ queue name). */
  readonly name: string;
  /** BullMQ's key prefix: the hash tag. */
  readonly prefix: string;
  /** Sorted set of node ids (score: when their heartbeat lapses, ms since the epoch). */
  readonly nodes: string;
  /** The heartbeat key of one node (a JSON record with a TTL). */
  node(id: string): string;
  /** The reply stream of one client. */
  reply(clientId: string): string;
  /** The pub/sub channel that carries cancels to the nodes. */
  readonly cancel: string;
  /** BullMQ's hash of one job. */
  job(jobId: string): string;
}

/**
 * Checks a queue name and returns its keys.
 * @throws TypeError for a non-string or empty name, or one with `:`, `{`, `}` or spaces.
 */
export function queueKeys(where: string, name: unknown): QueueKeys {
  if (name === undefined) name = 'weft';
  if (typeof name !== 'string') throw new TypeError(`${where}: queue must be a string, got ${describe(name)}`);
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    throw new TypeError(`${where}: queue must be 1 to 100 letters, digits, '_', '.' or '-', got ${describe(name)}`);
  }
  const prefix = `{weft:${name}}`;
  return {
    name,
    prefix,
    nodes: `${prefix}:nodes`,
    node: (id) => `${prefix}:node:${id}`,
    reply: (clientId) => `${prefix}:reply:${clientId}`,
    cancel: `${prefix}:cancel`,
    job: (jobId) => `${prefix}:${name}:${jobId}`,
  };
}
