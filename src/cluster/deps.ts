/**
 * The optional peer dependencies of weft/cluster, loaded once, here only.
 *
 * `bullmq` (the queue engine) and `ioredis` (the Redis client BullMQ 6 drives)
 * are optional peer dependencies: no other entry point of weft loads them, and
 * importing `weft/cluster` without them fails at once with the command that
 * installs them, instead of a bare ERR_MODULE_NOT_FOUND.
 */
import type * as BullMQ from 'bullmq';
import type * as IORedis from 'ioredis';

/** The command that installs what weft/cluster needs. */
export const INSTALL_HINT = 'npm install bullmq ioredis';

async function load(): Promise<{ bullmq: typeof BullMQ; ioredis: typeof IORedis }> {
  try {
    const [bullmq, ioredis] = await Promise.all([import('bullmq'), import('ioredis')]);
    return { bullmq, ioredis };
  } catch (err) {
    const code = (err as { code?: string })?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `weft/cluster runs on BullMQ and Redis, optional peer dependencies of weft that are not installed here: ${INSTALL_HINT}`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** The loaded modules (top-level await: importing weft/cluster fails early and clearly without them). */
export const deps = await load();

export type { BullMQ, IORedis };
/** An ioredis client. */
export type RedisClient = IORedis.Redis;
