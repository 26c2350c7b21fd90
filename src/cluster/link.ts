/**
 * One Redis connection of weft/cluster: an ioredis client with a named state,
 * a clear "unreachable" error naming the address, and ref/unref of its socket
 * (an idle ClusterExecutor must not keep the process alive).
 *
 * ioredis reconnects forever (maxRetriesPerRequest: null, as BullMQ requires)
 * and queues commands meanwhile. That suits commands already under way (a
 * reply read, an addBulk in flight: they go through once Redis is back), but a
 * NEW submit must not wait silently on a dead server: `ready()` rejects at
 * once while the link is down, and on the first connect when it fails.
 */
import { describe } from '../core/errors.js';
import { options, int, str, record } from '../core/options.js';
import { deps, type RedisClient } from './deps.js';

/** Where Redis is: ioredis options plus the address to show in messages (no password). */
export interface ConnectionSpec {
  readonly options: {
    host: string;
    port: number;
    username?: string;
    password?: string;
    db?: number;
    tls?: object;
  };
  readonly address: string;
}

const CONNECTION_KEYS = ['host', 'port', 'username', 'password', 'db', 'tls'] as const;

/**
 * Checks the `connection` option: a `redis://[user:password@]host[:port][/db]` URL
 * (`rediss://` for TLS), or `{ host, port, username, password, db, tls }`.
 * @throws TypeError for anything else, RangeError for a port or db out of range.
 */
export function parseConnection(where: string, v: unknown): ConnectionSpec {
  if (v === undefined) throw new TypeError(`${where}: connection is required, e.g. 'redis://127.0.0.1:6379'`);
  if (typeof v === 'string') {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw new TypeError(`${where}: connection must be a redis:// URL or an object { host, port }, got ${describe(v)}`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new TypeError(`${where}: connection must be a redis:// or rediss:// URL, got ${describe(v)}`);
    }
    const port = url.port === '' ? 6379 : Number(url.port);
    const dbText = url.pathname.replace(/^\//, '');
    const db = dbText === '' ? 0 : Number(dbText);
    if (!Number.isInteger(db) || db < 0)
      throw new RangeError(`${where}: the database in connection must be an integer >= 0, got ${describe(v)}`);
    const o: ConnectionSpec['options'] = { host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port, db };
    if (url.username) o.username = decodeURIComponent(url.username);
    if (url.password) o.password = decodeURIComponent(url.password);
    if (url.protocol === 'rediss:') o.tls = {};
    return { options: o, address: `${url.protocol}//${url.host}${db ? `/${db}` : ''}` };
  }
  const c = options(`${where} connection`, v, CONNECTION_KEYS);
  const host = str(where, 'connection.host', c.host, '127.0.0.1');
  const port = int(where, 'connection.port', c.port, 6379, { min: 1, max: 65535 });
  const o: ConnectionSpec['options'] = { host, port, db: int(where, 'connection.db', c.db, 0) };
  const username = str(where, 'connection.username', c.username);
  const password = str(where, 'connection.password', c.password);
  const tls = record<object>(where, 'connection.tls', c.tls);
  if (username !== undefined) o.username = username;
  if (password !== undefined) o.password = password;
  if (tls !== undefined) o.tls = tls;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { options: o, address: `${tls ? 'rediss' : 'redis'}://${hostPart}:${port}${o.db ? `/${o.db}` : ''}` };
}

/** The error of a submit (or `nodes()`) while Redis cannot be reached. */
export function unreachable(address: string, cause: unknown): Error {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new Error(`Cannot reach Redis at ${address}: ${why}`, { cause });
}

/**
 *     idle --connect()--> connecting --ready--> ready <--reconnected-- down
 *       ^                     \--error--> down <--error / close--/   |
 *       \------- 'end': ioredis gave up reconnecting (only while unref'd) --/
 */
type LinkState = 'idle' | 'connecting' | 'ready' | 'down';

/** One ioredis connection with a named state and a socket that can be unref'd. */
export class Link {
  readonly client: RedisClient;
  private state: LinkState = 'idle';
  private lastError: unknown;
  private refd = true;
  private waiters: { ok: () => void; fail: (e: Error) => void }[] = [];

  constructor(
    readonly spec: ConnectionSpec,
    name: string,
  ) {
    this.client = new deps.ioredis.Redis({
      ...spec.options,
      lazyConnect: true,
      maxRetriesPerRequest: null,
      connectionName: name,
      // Reconnect quickly and never give up while work is pending (BullMQ's advice; a dead server is
      // reported to new submits by `ready()`). While idle (unref'd), stop: ioredis's reconnect timers
      // would keep the process alive. The link is then idle and `ready()` connects again.
      retryStrategy: (times: number) => (this.refd ? Math.min(100 * times, 1000) : null),
    });
    this.client.on('error', (err: unknown) => {
      this.lastError = err;
      if (this.state !== 'ready' && this.state !== 'idle') this.to('down');
    });
    this.client.on('close', () => {
      if (this.state === 'ready') this.to('down');
    });
    this.client.on('connect', () => this.applyRef());
    this.client.on('end', () => {
      if (!this.closed) this.state = 'idle';
    });
    this.client.on('ready', () => {
      this.lastError = undefined;
      this.to('ready');
    });
  }

  private to(s: LinkState): void {
    this.state = s;
    if (s === 'ready' || s === 'down') {
      const w = this.waiters;
      this.waiters = [];
      for (const x of w) s === 'ready' ? x.ok() : x.fail(this.error());
    }
  }

  /** The "unreachable" error for the last failure. */
  error(): Error {
    return unreachable(this.spec.address, this.lastError ?? 'the connection is closed');
  }

  /** True while commands go through. */
  get up(): boolean {
    return this.state === 'ready';
  }

  /** Resolves once the link is ready (connecting on first use); rejects at once while Redis is unreachable. */
  ready(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'down') return Promise.reject(this.error());
    if (this.state === 'idle') {
      this.state = 'connecting';
      const st = this.client.status;
      if (st === 'ready') {
        this.state = 'ready'; // connected by someone else meanwhile (BullMQ connects the client it is given)
        return Promise.resolve();
      }
      if (st === 'wait' || st === 'end' || st === 'close') {
        this.client.connect().catch((err: unknown) => {
          // Usually also an 'error' event; not always (a client reconnecting after a suspend).
          this.lastError ??= err;
          if (this.state === 'connecting') this.to('down');
        });
      }
    }
    return new Promise((ok, fail) => this.waiters.push({ ok, fail }));
  }

  /** Whether the socket keeps the process alive (true while work is pending). */
  ref(on: boolean): void {
    if (this.refd === on) return;
    this.refd = on;
    this.applyRef();
  }

  private applyRef(): void {
    const s = (this.client as unknown as { stream?: { ref?(): void; unref?(): void } }).stream;
    if (this.refd) s?.ref?.();
    else s?.unref?.();
  }

  private closed = false;

  /** Closes the connection (pending commands are dropped). */
  close(): void {
    this.closed = true;
    this.state = 'down';
    this.lastError = new Error('the connection was closed');
    this.client.disconnect();
  }
}
