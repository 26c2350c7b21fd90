/**
 * Turns brokered-object markers back into working objects in a child process
 * (or worker thread). The run loop imports this module only when a task's
 * arguments hold a marker (flag F_BROKERED), so workers that never receive a
 * multiprocessing object never load it.
 */
import { describe } from '../core/errors.js';
import { Queue, type QueueData } from './queue.js';
import { JoinableQueue } from './joinable-queue.js';
import { Connection, type ConnectionData } from './pipe.js';
import { Lock, RLock, type LockData } from './lock.js';
import { Semaphore, type SemaphoreData } from './semaphore.js';
import { Event, type EventData } from './event.js';
import { Condition, type ConditionData } from './condition.js';
import { Barrier, type BarrierData } from './barrier.js';
import { Value, SharedArray, type NumbersData } from './value.js';

const revivers: Record<string, (data: any) => object> = {
  Queue: (d: QueueData) => Queue._revive(d),
  JoinableQueue: (d: QueueData) => JoinableQueue._revive(d),
  Connection: (d: ConnectionData) => Connection._revive(d),
  Lock: (d: LockData) => Lock._revive(d),
  RLock: (d: LockData) => RLock._revive(d),
  Semaphore: (d: SemaphoreData) => Semaphore._revive(d),
  BoundedSemaphore: (d: SemaphoreData) => Semaphore._revive(d),
  Event: (d: EventData) => Event._revive(d),
  Condition: (d: ConditionData) => Condition._revive(d),
  Barrier: (d: BarrierData) => Barrier._revive(d),
  Value: (d: NumbersData) => Value._revive(d),
  SharedArray: (d: NumbersData) => SharedArray._revive(d),
};

/**
 * Revives the object a `[kBroker]()` description stands for, as a proxy of the
 * object the holder process keeps (one proxy per object per process).
 * @throws TypeError for an unknown type.
 */
export function revive(type: string, data: unknown): object {
  const fn = Object.hasOwn(revivers, type) ? revivers[type] : undefined;
  if (fn === undefined) {
    throw new TypeError(`revive(type, data): unknown brokered object type ${describe(type)}; known: ${Object.keys(revivers).join(', ')}`);
  }
  return fn(data);
}
