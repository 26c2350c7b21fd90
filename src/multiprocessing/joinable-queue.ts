/**
 * multiprocessing.JoinableQueue: a Queue that counts unfinished items, so a
 * producer can wait (`join()`) until consumers in any process have marked
 * every item done (`taskDone()`).
 *
 * Consumer death: an item another process received and had not marked done
 * when it died goes back to the front of the queue (it is still unfinished),
 * so another consumer processes it and `join()` does not wait forever on a
 * dead process. `taskDone()` from a process is counted against the oldest
 * item that process received and has not marked done.
 */
import { ValueError } from '../core/errors.js';
import { LOCAL_CLIENT, type BrokerCall, type BrokerClient, type Holding } from '../transport/brokered.js';
import { proxyFor, type WaitOptions } from './_brokered.js';
import { WaitList, remoteSpec, timedOut, type WaitSpec } from './_waiters.js';
import { Queue, type QueueData } from './queue.js';

/** Items one remote process received and has not marked done. */
class Outstanding<T> implements Holding {
  readonly items: T[] = [];
  constructor(
    private readonly q: JoinableQueue<T>,
    readonly client: BrokerClient,
  ) {}
  release(): void {
    this.q._dead(this);
  }
}

/**
 * A {@link Queue} with `taskDone()` and `join()`: Python's `multiprocessing.JoinableQueue`.
 *
 * @example
 * const q = new JoinableQueue<string>();
 * // consumers (children): for (;;) { const url = await q.get(); await fetchIt(url); q.taskDone(); }
 * for (const url of urls) await q.put(url);
 * await q.join();   // every url was processed
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  #unfinished = 0;
  readonly #joiners = new WaitList<void>();
  readonly #outstanding = new Map<BrokerClient, Outstanding<T>>();

  /** @internal */
  protected override get _type(): string {
    return 'JoinableQueue';
  }
  /** @internal */
  protected override _data(): Record<string, unknown> {
    return { ...super._data(), joinable: true };
  }
  /** @internal a proxy for a queue another process holds. */
  static override _revive<T>(data: QueueData): JoinableQueue<T> {
    return proxyFor(data.channel, () => {
      const q = new JoinableQueue<T>();
      (q as { maxsize: number }).maxsize = data.maxsize;
      return q;
    });
  }

  /** Items put and not yet marked done (in the process that made the queue). */
  get unfinished(): number {
    this._holderOnly('unfinished', 'join()');
    return this.#unfinished;
  }

  /**
   * Marks one item taken with `get()` as done.
   * @throws ValueError if called more times than items were put (in another process, that
   *   mistake is reported as a warning by the process that made the queue).
   */
  taskDone(): void {
    if (this._remote) return this._tell('taskDone', []);
    this.#taskDone(LOCAL_CLIENT);
  }

  /**
   * Waits until every item put has been marked done.
   * @param o `timeout` ms (TimeoutError), `signal`; the current task's cancellation applies too.
   */
  join(o?: WaitOptions): Promise<void> {
    return this._waiting(`${this._type}.join()`, o, (spec) =>
      this._remote ? (this._askWait('join', [spec.timeout], spec) as Promise<void>) : this.#join(spec),
    );
  }

  #join(spec: WaitSpec): Promise<void> {
    if (this.#unfinished === 0) return Promise.resolve();
    return this.#joiners.waitFor(spec, timedOut(`${this._type}.join()`, spec.timeout));
  }

  #taskDone(client: BrokerClient): void {
    if (this.#unfinished <= 0) throw new ValueError('taskDone() called more times than there were items');
    this.#unfinished--;
    const o = this.#outstanding.get(client);
    if (o !== undefined) {
      o.items.shift();
      if (o.items.length === 0) {
        this.#outstanding.delete(client);
        client.unhold(o);
      }
    }
    if (this.#unfinished === 0) this.#joiners.grantAll(undefined);
  }

  /** @internal */
  protected override _entered(): void {
    this.#unfinished++;
  }

  /** @internal another process confirmed it received `item`: it holds it until taskDone(). */
  protected override _keep(client: BrokerClient, item: T): () => void {
    return () => {
      let o = this.#outstanding.get(client);
      if (o === undefined) {
        o = new Outstanding(this, client);
        if (!client.hold(o)) {
          this._giveBack([item]);
          return;
        }
        this.#outstanding.set(client, o);
      }
      o.items.push(item);
    };
  }

  /** @internal a consumer died: what it had not marked done goes back to the front. */
  _dead(o: Outstanding<T>): void {
    if (this.#outstanding.get(o.client) !== o) return;
    this.#outstanding.delete(o.client);
    this._giveBack(o.items);
  }

  /** (Internal: runs an operation in the holder.) */
  override brokerCall(op: string, args: unknown[], call: BrokerCall): unknown {
    switch (op) {
      case 'taskDone':
        this.#taskDone(call.client);
        return undefined;
      case 'join':
        return this.#join(remoteSpec(call.client, call.signal, args[0] as number));
      default:
        return super.brokerCall(op, args, call);
    }
  }
}
