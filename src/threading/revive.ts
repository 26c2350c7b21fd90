/**
 * Rebuilds shared objects that arrived from another thread.
 *
 * The argument codec (src/transport/codec.ts) turns each shared object into
 * `{ '@@weft/shared': type, data }` with the `{ type, data }` its `[kShare]()`
 * returned; the receiving thread imports this module (only when such a marker
 * arrives) and calls `revive(type, data)`, which returns a working object over
 * the same SharedArrayBuffer(s).
 */
import { describe } from '../core/errors.js';
import { Lock, type LockData } from './lock.js';
import { RLock } from './rlock.js';
import { Condition, type ConditionData } from './condition.js';
import { Semaphore, type SemaphoreData } from './semaphore.js';
import { BoundedSemaphore } from './bounded-semaphore.js';
import { Event, type EventData } from './event.js';
import { Barrier, type BarrierData } from './barrier.js';
import { Queue, type QueueData } from './queue.js';
import { Value, type ValueData } from './value.js';
import { SharedArray, type SharedArrayData } from './shared-array.js';

const revivers: Record<string, (data: any) => object> = {
  Lock: (d: LockData) => new Lock(d),
  RLock: (d: LockData) => new RLock(d),
  Condition: (d: ConditionData) => new Condition(d.lockType === 'RLock' ? new RLock(d.lock) : new Lock(d.lock), d),
  Semaphore: (d: SemaphoreData) => new Semaphore(undefined, d),
  BoundedSemaphore: (d: SemaphoreData) => new BoundedSemaphore(undefined, d),
  Event: (d: EventData) => new Event(d),
  Barrier: (d: BarrierData) => new Barrier(0, d),
  Queue: (d: QueueData) => new Queue(undefined, d),
  Value: (d: ValueData) => new Value(d.kind, undefined, d),
  SharedArray: (d: SharedArrayData) => SharedArray._revive(d),
};

/**
 * Turns the `{ type, data }` a shared object's `[kShare]()` produced (in any
 * thread) back into a working object on the same memory.
 *
 * @throws TypeError for an unknown type or malformed data.
 * @example
 * const lock = revive('Lock', desc.data) as Lock;
 */
export function revive(type: string, data: unknown): object {
  const fn = Object.hasOwn(revivers, type) ? revivers[type] : undefined;
  if (fn === undefined) {
    throw new TypeError(`revive(type, data): unknown shared object type ${describe(type)}; known: ${Object.keys(revivers).join(', ')}`);
  }
  if (data === null || typeof data !== 'object') {
    throw new TypeError(`revive(${JSON.stringify(type)}, data) expects the object [kShare]() returned, got ${describe(data)}`);
  }
  return fn(data);
}
