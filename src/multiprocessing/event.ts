/**
 * multiprocessing Event: a flag that processes can set and wait for,
 * kept by the process that made it.
 */
import type { BrokerCall } from '../transport/brokered.js';
import { Brokered, proxyFor, type WaitOptions } from './_brokered.js';
import { WaitList, remoteSpec, timedOut, type WaitSpec } from './_waiters.js';

/** @internal what an Event marker carries. */
export interface EventData {
  channel: string;
}

/**
 * A flag processes can wait for: Python's `multiprocessing.Event`, with
 * weft/asyncio's methods. `set()` wakes every waiter, in every process;
 * `wait()` returns at once while the flag is set.
 *
 * `set()` and `clear()` work everywhere (from another process they are sent in
 * order with its other operations); `isSet()` is synchronous and works in the
 * process that made the event (elsewhere: `await ev.wait({ timeout: 0 })`).
 *
 * @example
 * const stop = new Event();
 * // in each child:  while (true) { try { await stop.wait({ timeout: 100 }); break; } catch {} ... }
 * stop.set();
 */
export class Event extends Brokered {
  #flag = false;
  readonly #waiters = new WaitList<true>();

  /** @internal */
  protected get _type(): string {
    return 'Event';
  }
  /** @internal a proxy in another process. */
  static _revive(data: EventData): Event {
    return proxyFor(data.channel, () => new Event());
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    if (this._remote) return this._tell('set', []);
    if (this.#flag) return;
    this.#flag = true;
    this.#waiters.grantAll(true);
  }

  /** Clears the flag. */
  clear(): void {
    if (this._remote) return this._tell('clear', []);
    this.#flag = false;
  }

  /** True while the flag is set. In the process that made the event only. @throws TypeError elsewhere. */
  isSet(): boolean {
    this._holderOnly('isSet()', 'await event.wait({ timeout: 0 }) (TimeoutError if it is not set)');
    return this.#flag;
  }

  /**
   * Waits until the flag is set.
   * @param o `timeout` ms (0 or less: do not wait), `signal`; the current task's cancellation applies too.
   * @returns true.
   * @throws (rejects) TimeoutError, CancelledError; TypeError/RangeError for bad options.
   */
  wait(o?: WaitOptions): Promise<true> {
    return this._waiting('Event.wait()', o, (spec) =>
      this._remote ? (this._askWait('wait', [spec.timeout], spec) as Promise<true>) : this.#wait(spec),
    );
  }

  #wait(spec: WaitSpec): Promise<true> {
    if (this.#flag) return Promise.resolve(true);
    return this.#waiters.waitFor(spec, timedOut('Event.wait()', spec.timeout));
  }

  /** `set` and the number of `waiters`. In the process that made it only. @throws TypeError elsewhere. */
  statistics(): { set: boolean; waiters: number } {
    this._holderOnly('statistics()', 'the process that made it');
    return { set: this.#flag, waiters: this.#waiters.size };
  }

  /** (Internal: runs an operation in the holder.) */
  brokerCall(op: string, args: unknown[], call: BrokerCall): unknown {
    switch (op) {
      case 'set':
        this.set();
        return undefined;
      case 'clear':
        this.clear();
        return undefined;
      case 'wait':
        return this.#wait(remoteSpec(call.client, call.signal, args[0] as number));
      default:
        return this._unknownOp(op);
    }
  }
}
