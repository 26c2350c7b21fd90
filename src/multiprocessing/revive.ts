/**
 * Turns brokered-object markers back into working objects in a child process
 * (or worker thread). The run loop imports this module only when a task's
 * arguments hold a marker (flag F_BROKERED), so workers that never receive a
 * multiprocessing Queue or Pipe never load it.
 */
import { describe } from '../core/errors.js';
import { Queue, type QueueData } from './queue.js';
import { Connection, type ConnectionData } from './pipe.js';

/**
 * Revives the object a `[kBroker]()` description stands for, as a proxy of the
 * object the holder process keeps.
 * @throws TypeError for an unknown type.
 */
export function revive(type: string, data: unknown): object {
  switch (type) {
    case 'Queue':
      return Queue._revive(data as QueueData);
    case 'Connection':
      return Connection._revive(data as ConnectionData);
    default:
      throw new TypeError(`revive(type, data): unknown brokered object type ${describe(type)}; known: Queue, Connection`);
  }
}
