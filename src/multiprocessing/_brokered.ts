/**
 * @internal What every brokered multiprocessing object shares: being either the
 * real object (in the process that made it: the holder) or a proxy of it (in a
 * process it was passed to), travelling as a marker, and the options of its
 * waiting methods.
 *
 *   holder: new Lock() ── [kBroker]() registers it as the target of its channel
 *   child:  revive('Lock', { channel }) ── proxyFor(channel) ── one proxy per channel per process
 *           proxy.acquire() ── brokerRequest(channel, 'acquire', [timeout], { signal, wait }) ── holder
 *
 * One proxy per channel per process: a Condition and its Lock passed separately
 * to a child arrive as the same Lock proxy, so what the child knows it holds
 * (used to refuse releasing a lock it does not hold) is per process, as the
 * holder sees it.
 */
import { describe } from '../core/errors.js';
import { toCancelledError } from '../core/future.js';
import { bool, options, signal as signalOption, timeout as timeoutOption } from '../core/options.js';
import {
  kBroker,
  brokerables,
  brokerRequest,
  brokerSend,
  forwardingTarget,
  newChannelId,
  registerBrokerTarget,
  LOCAL_CLIENT,
  type BrokerCall,
  type BrokerDescription,
  type BrokerTarget,
} from '../transport/brokered.js';
import type { WaitSpec } from './_waiters.js';

/** Options of every waiting method of a brokered primitive. */
export interface WaitOptions {
  /**
   * Milliseconds to wait at most (then TimeoutError, or QueueEmpty/QueueFull for a queue).
   * undefined or Infinity: no limit; 0 or negative: do not wait.
   */
  timeout?: number;
  /** Aborting it cancels the wait (CancelledError). The current task's cancellation applies too. */
  signal?: AbortSignal;
}

const WAIT_KEYS = ['timeout', 'signal'] as const;

/**
 * Checked wait options: the timeout (Infinity: none) and the signal that cancels the
 * wait; `block: false` (when `keys` has it: the Queue's put and get) is a timeout of 0.
 * The current task's cancellation applies too: the wait links into its cancel scope
 * when it starts waiting (see _waiters.ts).
 */
export function waitSpec(where: string, o: unknown, keys: readonly string[] = WAIT_KEYS): WaitSpec {
  const c = options(where, o, keys) as { timeout?: unknown; signal?: unknown; block?: unknown };
  const signal = signalOption(where, 'signal', c.signal);
  const block = keys.includes('block') ? bool(where, 'block', c.block, true) : true;
  const t = timeoutOption(where, 'timeout', c.timeout);
  return { client: LOCAL_CLIENT, signal, timeout: block ? t : 0, context: true };
}

/**
 * Rejects at once if the options' signal has aborted (before a request is sent). A
 * cancelled task is not refused here: like every weft wait, a wait that must wait
 * receives a cancellation not yet delivered, and one that need not wait does not.
 */
export function checkNotAborted(spec: WaitSpec): void {
  if (spec.signal?.aborted) throw toCancelledError(spec.signal.reason);
}

// ── one proxy per channel per process ─────────────────────────────────────

const proxies = new Map<string, WeakRef<object>>();
const collected = new FinalizationRegistry<string>((channel) => {
  if (proxies.get(channel)?.deref() === undefined) proxies.delete(channel);
});

let reviving: string | undefined;

/**
 * The proxy of `channel` in this process, made by `make` the first time: `make` calls
 * the public constructor, which sees it is building a proxy (`_remote`) and skips the
 * holder's setup.
 */
export function proxyFor<T extends object>(channel: string, make: () => T): T {
  const existing = proxies.get(channel)?.deref();
  if (existing !== undefined) return existing as T;
  reviving = channel;
  let p: T;
  try {
    p = make();
  } finally {
    reviving = undefined;
  }
  proxies.set(channel, new WeakRef(p));
  collected.register(p, channel);
  return p;
}

/**
 * The base of every brokered object: the real one (`_remote === false`) or a proxy
 * (`_remote === true`, operations go to the holder).
 */
export abstract class Brokered implements BrokerTarget {
  /** @internal */ _channel: string | undefined;
  /** @internal */ readonly _remote: boolean;
  #forwarding = false;

  /** A real object; or a proxy, when built by {@link proxyFor} (subclasses then skip their own setup). */
  constructor() {
    const channel = reviving;
    reviving = undefined;
    this._channel = channel;
    this._remote = channel !== undefined;
    brokerables.created++;
  }

  /** @internal the type tag revive() knows. */
  protected abstract get _type(): string;
  /** @internal marker data besides the channel. */
  protected _data(): Record<string, unknown> {
    return {};
  }
  /** (Internal.) Runs one operation a proxy asked for (in the holder). */
  abstract brokerCall(op: string, args: unknown[], call: BrokerCall): unknown;

  /** @internal */
  [kBroker](): BrokerDescription {
    if (this._remote) {
      // Passed on to another process: forward its operations up to the holder.
      if (!this.#forwarding) {
        this.#forwarding = true;
        registerBrokerTarget(this._channel!, forwardingTarget(this._channel!));
      }
    } else if (this._channel === undefined) {
      this._channel = newChannelId();
      registerBrokerTarget(this._channel, this);
    }
    return { type: this._type, data: { ...this._data(), channel: this._channel } };
  }

  /**
   * @internal a waiting method: checks its options (`{ timeout, signal }`), then runs
   * `body`; a bad option or a signal already aborted rejects without waiting.
   */
  protected _waiting<T>(where: string, o: unknown, body: (spec: WaitSpec) => Promise<T>): Promise<T> {
    let spec: WaitSpec;
    try {
      spec = waitSpec(where, o);
      checkNotAborted(spec);
    } catch (err) {
      return Promise.reject(err);
    }
    return body(spec);
  }

  /** @internal a request to the holder that does not wait (not cancellable). */
  protected _ask(op: string, args: unknown[]): Promise<unknown> {
    return brokerRequest(this._channel!, op, args);
  }

  /**
   * @internal a wait at the holder, cancelled by `spec.signal` and the current task (see
   * brokerRequest's `wait`): once cancelled, it rejects with CancelledError whatever the
   * holder answers (a hand-over is refused), unless `stands` (a put: it cannot be undone).
   */
  protected _askWait(op: string, args: unknown[], spec: WaitSpec, stands = false): Promise<unknown> {
    return brokerRequest(this._channel!, op, args, { signal: spec.signal, wait: stands ? 'stands' : 'wins' });
  }

  /** @internal a one-way message to the holder (kept in order with every other operation). */
  protected _tell(op: string, args: unknown[]): void {
    brokerSend(this._channel!, op, args);
  }

  /** @internal throws a TypeError if this is a proxy: `method` is synchronous and works in the holder only. */
  protected _holderOnly(method: string, instead: string): void {
    if (this._remote) {
      throw new TypeError(
        `${this._type}.${method} is synchronous and works only in the process that made the ${this._type}; ` +
          `in another process use ${instead}`,
      );
    }
  }

  /** @internal an operation the holder does not know. */
  protected _unknownOp(op: string): never {
    throw new TypeError(`${this._type}: unknown brokered operation ${describe(op)}`);
  }
}

/**
 * What `acquire()` of a brokered Lock, RLock or Semaphore resolves to:
 * `using _ = await lock.acquire()` releases it at the end of the block.
 */
export class Guard implements Disposable {
  #owner: { release(): void } | undefined;
  /**
   * True when the lock was taken over from a process that died while holding it:
   * the data it protects may be half-updated. Always false for semaphores.
   */
  readonly abandoned: boolean;

  /** @internal */
  constructor(owner: { release(): void }, abandoned = false) {
    this.#owner = owner;
    this.abandoned = abandoned;
  }
  /** True until released. */
  get held(): boolean {
    return this.#owner !== undefined;
  }
  /** Releases it now; later calls, and disposal, do nothing. */
  release(): void {
    const o = this.#owner;
    if (o === undefined) return;
    this.#owner = undefined;
    o.release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
}
