/**
 * @internal The state of a brokered Lock or RLock in the process that holds it.
 *
 *   free ──acquire(client)──> owned by client (depth 1)
 *     ^                          │ acquire again by the same client (RLock only): depth + 1
 *     │                          │ release by the owner: depth - 1
 *     └── depth reaches 0 ───────┘ (the head waiter, if any, becomes the owner at once: FIFO hand-off)
 *
 * Owners are clients (transport/brokered.ts): this process's own code is one
 * client, each other process another. A remote owner's ownership is a holding
 * of that client, so when its process dies the lock is released and flagged
 * abandoned; the next owner's guard says `abandoned: true` (the flag is
 * cleared when read).
 *
 * A remote acquire is a hand-over: the lock is the asker's as soon as it is
 * granted, but it becomes a holding only once the asker confirmed the answer.
 * If the asker dies before (or refuses it: its wait was cancelled meanwhile),
 * the lock is given back as it was, not abandoned: it was never used.
 */
import { InvalidStateError } from '../core/errors.js';
import { LOCAL_CLIENT, type BrokerCall, type BrokerClient, type Holding } from '../transport/brokered.js';
import { WaitList, remoteSpec, timedOut, type WaitSpec, type Waiter } from './_waiters.js';

/** A remote owner's ownership, released as abandoned when its process goes. */
class Ownership implements Holding {
  constructor(
    private readonly state: LockState,
    readonly client: BrokerClient,
  ) {}
  release(): void {
    this.state.abandon(this.client);
  }
}

export class LockState {
  owner: BrokerClient | undefined = undefined;
  depth = 0;
  abandoned = false;
  /** waits for the lock; each one's data is the depth it takes (a Condition restores it) */
  readonly waiters = new WaitList<boolean>();
  acquisitions = 0;
  contended = 0;
  /** the remote owner's holding (undefined when free or owned by this process) */
  private held: Ownership | undefined;

  constructor(
    readonly name: 'Lock' | 'RLock',
    readonly reentrant: boolean,
  ) {
    // Cancel wins: a task's wait granted the lock and cancelled before it resumed gives it back.
    this.waiters.onResume = (w, abandoned, cancel) => {
      if (cancel !== undefined) this.giveBack((w as Waiter<boolean>).client, abandoned, w.data as number);
      return undefined;
    };
  }

  /** Reads and clears the abandoned flag (the new owner's guard carries it). */
  private takeAbandoned(): boolean {
    const a = this.abandoned;
    this.abandoned = false;
    return a;
  }

  /** Takes it for `client` if free (or already its own, for an RLock): the abandoned flag, or undefined. */
  tryAcquire(client: BrokerClient, depth = 1): boolean | undefined {
    if (this.owner === undefined) {
      this.acquisitions++;
      this.owner = client;
      this.depth = depth;
      return this.takeAbandoned();
    }
    if (this.reentrant && this.owner === client) {
      this.acquisitions++;
      this.depth += depth;
      return false;
    }
    return undefined;
  }

  /**
   * Waits for it in FIFO order; resolves with the abandoned flag.
   * @param depth levels taken (a Condition restores its RLock's depth).
   */
  acquire(spec: WaitSpec, depth = 1): Promise<boolean> {
    const now = this.tryAcquire(spec.client, depth);
    if (now !== undefined) return Promise.resolve(now);
    this.acquisitions++;
    this.contended++;
    return this.waiters.waitFor(spec, timedOut(`${this.name}.acquire()`, spec.timeout), depth);
  }

  /** A remote acquire: a hand-over that becomes a holding once the asker confirms it. */
  remoteAcquire(call: BrokerCall, timeout: number): Promise<boolean> {
    const client = call.client;
    return this.acquire(remoteSpec(client, call.signal, timeout)).then((abandoned) => {
      call.handOver(
        () => this.giveBack(client, abandoned, 1),
        () => {
          // One holding per owner: an RLock taken again by its owner adds a level, not a holding.
          if (this.owner === client && this.held?.client !== client) this.hold(client);
        },
      );
      return abandoned;
    });
  }

  /** Re-acquire after a Condition wait, at `depth`, cancelled only by the client's death; held at once. */
  async reacquire(client: BrokerClient, depth: number): Promise<void> {
    const remote = client !== LOCAL_CLIENT;
    // A grant to a client that died meanwhile is given back as it is: it died in the wait,
    // where it did not hold the lock (the data the lock protects was left consistent).
    // Not cancelled by the current task either (as asyncio's Condition, it takes the lock back whatever happens).
    await this.acquire({ client, signal: remote ? client.signal : undefined, timeout: Infinity, context: false }, depth);
    if (remote) this.hold(client, false);
  }

  /** The remote owner now holds it: released as abandoned if its process goes. */
  private hold(client: BrokerClient, abandonIfGone = true): void {
    const h = new Ownership(this, client);
    if (client.hold(h)) this.held = h;
    else if (abandonIfGone) this.abandon(client);
    else this.giveBack(client, false, this.depth);
  }

  private unhold(): void {
    const h = this.held;
    if (h === undefined) return;
    this.held = undefined;
    h.client.unhold(h);
  }

  /** Undo of a grant the asker did not take (its wait was cancelled, it died before it read the answer). */
  private giveBack(client: BrokerClient, abandoned: boolean, depth: number): void {
    if (this.owner !== client) return;
    this.depth -= depth;
    if (this.depth > 0) return;
    this.unhold();
    this.abandoned ||= abandoned;
    this.handOff();
  }

  /**
   * Releases one level for `client`.
   * @throws InvalidStateError if `client` does not hold it.
   */
  release(client: BrokerClient): void {
    if (this.owner === undefined) throw new InvalidStateError(`Cannot release: the ${this.name} is not acquired`);
    if (this.owner !== client) {
      throw new InvalidStateError(
        `Cannot release the ${this.name}: it is held by ${this.owner === LOCAL_CLIENT ? 'the process that made it' : 'another process'}`,
      );
    }
    if (--this.depth > 0) return;
    this.unhold();
    this.handOff();
  }

  /** Releases every level `client` holds (Condition.wait); returns how many. */
  releaseAll(client: BrokerClient): number {
    if (this.owner !== client) throw new InvalidStateError(`Cannot wait on a Condition whose ${this.name} is not acquired`);
    const depth = this.depth;
    this.unhold();
    this.depth = 0;
    this.handOff();
    return depth;
  }

  /** The owner died holding it: release, flagged abandoned. */
  abandon(client: BrokerClient): void {
    if (this.owner !== client) return;
    if (this.held?.client === client) this.unhold();
    this.abandoned = true;
    this.depth = 0;
    this.handOff();
  }

  private handOff(): void {
    const w = this.waiters.head();
    if (w !== null) {
      this.owner = w.client;
      this.depth = w.data as number;
      this.waiters.grantHead(this.takeAbandoned());
      return;
    }
    this.owner = undefined;
    this.depth = 0;
  }
}
