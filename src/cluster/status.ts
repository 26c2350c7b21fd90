/**
 * A look at a cluster: its live nodes and its queue depths (`weft cluster status`).
 */
import { options } from '../core/options.js';
import { deps } from './deps.js';
import { queueKeys } from './keys.js';
import { Link, parseConnection } from './link.js';
import { liveNodes, type ClusterNode } from './registry.js';

/** What {@link clusterStatus} reports. */
export interface ClusterStatus {
  queue: string;
  /** The Redis address (no password). */
  address: string;
  nodes: ClusterNode[];
  /** Jobs by state: waiting, active, delayed, prioritized, completed and failed (kept for a while). */
  counts: Record<string, number>;
}

/**
 * Reads the live nodes and the queue depths of a cluster.
 * @throws an Error naming the address when Redis cannot be reached.
 *
 * @example
 * const s = await clusterStatus({ connection: 'redis://10.0.0.5:6379' });
 * console.log(s.nodes.length, s.counts.waiting);
 */
export async function clusterStatus(opts: { connection: string | object; queue?: string }): Promise<ClusterStatus> {
  const o = options('clusterStatus', opts, ['connection', 'queue'] as const);
  const spec = parseConnection('clusterStatus', o.connection);
  const keys = queueKeys('clusterStatus', o.queue);
  const link = new Link(spec, 'weft-status');
  try {
    await link.ready();
    const q = new deps.bullmq.Queue(keys.name, { connection: link.client as any, prefix: keys.prefix, skipMetasUpdate: true });
    q.on('error', () => {});
    try {
      const [nodes, counts] = await Promise.all([
        liveNodes(link.client, keys),
        q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
      ]);
      return { queue: keys.name, address: spec.address, nodes, counts };
    } finally {
      await q.close().catch(() => {});
    }
  } finally {
    link.close();
  }
}
