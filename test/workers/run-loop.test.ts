/**
 * The run loop driven by a fake port (no real worker): claims on the control
 * block, skips of cancelled tasks, a frozen block, a cancel between two tasks of
 * one batch, child-process claims, the reply log, exitAfter, and how task
 * modules that are missing or throw are reported.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRunLoop, type Port } from '../../src/workers/run-loop.ts';
import { ReplyLogReader, decodeRecords, newReplyLog } from '../../src/transport/reply-log.ts';
import {
  CB_RING,
  CB_STARTED,
  CB_WORDS,
  CLAIM,
  DONE,
  ERR,
  F_INLINE,
  F_NOTIFY_START,
  F_EXPORT,
  FATAL,
  GATE_FROZEN,
  INIT,
  OK,
  PROGRESS,
  READY,
  RUN,
  SKIPPED,
  STARTED,
} from '../../src/transport/protocol.ts';
import { deserializeError } from '../../src/transport/errors.ts';

type Reply = [id: number, status: number, value: unknown];

/** A run loop with a fake port; `claims` makes it behave as a child process. */
function loop(opts: { claims?: boolean; autoClaim?: boolean } = {}) {
  const control = new Int32Array(new SharedArrayBuffer(CB_WORDS * 4));
  const replyLog = newReplyLog();
  const reader = new ReplyLogReader(replyLog);
  const posted: unknown[][] = [];
  const replies: Reply[] = [];
  const claims: number[] = [];
  const pendingClaims: (() => void)[] = [];
  let deliver!: (msg: unknown) => void;
  const exits: { code: number; failure: unknown }[] = [];
  const onReply = (id: number, status: number, value: unknown) => replies.push([id, status, value]);
  const port: Port = {
    post(msg) {
      const m = msg as unknown[];
      posted.push(m);
      if (m[0] === DONE) {
        if (typeof m[1] === 'number') reader.readTo(m[1], onReply);
        else if (m[1] instanceof Uint8Array) decodeRecords(m[1], onReply);
        const inline = m[3] as unknown[];
        for (let i = 0; i < inline.length; i += 4) onReply(inline[i] as number, inline[i + 1] as number, inline[i + 2]);
      }
    },
    onMessage(cb) {
      deliver = cb;
    },
    exit(code, failure) {
      exits.push({ code, failure });
    },
    threadId: 7,
  };
  if (opts.claims) {
    port.shipsLog = true;
    port.sendThen = (msg, then) => {
      const m = msg as unknown[];
      if (m[0] === PROGRESS && m[1] === CLAIM) claims.push(m[2] as number);
      if (opts.autoClaim === false) pendingClaims.push(then);
      else queueMicrotask(then);
    };
  }
  startRunLoop(port, { control, replyLog });
  return { control, posted, replies, claims, pendingClaims, exits, send: (m: unknown) => deliver(m) };
}

const inline = (fn: Function) => fn.toString();
/** A RUN batch of inline tasks: [id, source, args] each. */
function batch(...tasks: [number, Function, unknown[], number?][]): unknown[] {
  const out: unknown[] = [];
  for (const [id, fn, args, flags = 0] of tasks) out.push(id, F_INLINE | flags, inline(fn), '', args);
  return [RUN, out];
}
const tick = () => new Promise((r) => setImmediate(r));
async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!pred() && Date.now() < end) await tick();
  assert.ok(pred(), what);
}

describe('run loop (fake port)', { timeout: 30_000 }, () => {
  it('claims each task on the control block and logs each reply the moment the task ends', async () => {
    const l = loop();
    l.send([INIT, { name: 'w' }]);
    await until(() => l.posted.some((m) => m[0] === READY), 'READY');
    const twice = (a: unknown) => (typeof a === 'number' ? a * 2 : `${a}${a}`);
    l.send(batch([1, twice, [1]], [2, twice, [4]], [3, twice, ['ab']]));
    await until(() => l.replies.length === 3, 'three replies');
    assert.equal(Atomics.load(l.control, CB_STARTED), 3);
    assert.deepEqual(l.replies, [
      [1, OK, 2],
      [2, OK, 8],
      [3, OK, 'abab'],
    ]);
    assert.equal(l.posted.filter((m) => m[0] === DONE).length, 1, 'one DONE for the batch');
  });

  it('skips a task the parent marked cancelled before its claim; it never runs', async () => {
    const l = loop();
    const g = globalThis as { __runs?: number[] };
    g.__runs = [];
    Atomics.store(l.control, CB_RING + 1, 2); // task number 1 (the second) cancelled
    l.send(
      batch(
        [1, (i: number) => (globalThis as any).__runs.push(i), [1]],
        [2, (i: number) => (globalThis as any).__runs.push(i), [2]],
        [3, (i: number) => (globalThis as any).__runs.push(i), [3]],
      ),
    );
    await until(() => l.replies.length === 3, 'three replies');
    assert.deepEqual(g.__runs, [1, 3]);
    assert.deepEqual(
      l.replies.map((r) => r[1]),
      [OK, SKIPPED, OK],
    );
  });

  it('a cancel marked while the batch runs stops the next task of the same batch from starting', async () => {
    const l = loop();
    const g = globalThis as { __ran?: boolean };
    g.__ran = false;
    // The first task marks the second cancelled, as the parent would while it runs.
    const markNext = (cb: Int32Array, ring: number) => {
      Atomics.store(cb, ring + 1, 2);
      return 'first';
    };
    l.send(batch([1, markNext, [l.control, CB_RING]], [2, () => ((globalThis as any).__ran = true), []]));
    await until(() => l.replies.length === 2, 'two replies');
    assert.equal(g.__ran, false);
    assert.deepEqual(l.replies, [
      [1, OK, 'first'],
      [2, SKIPPED, undefined],
    ]);
  });

  it('a frozen control block starts nothing more', async () => {
    const l = loop();
    Atomics.store(l.control, CB_STARTED, GATE_FROZEN);
    const g = globalThis as { __frozenRan?: boolean };
    g.__frozenRan = false;
    l.send(batch([1, () => ((globalThis as any).__frozenRan = true), []]));
    await tick();
    await tick();
    assert.equal(g.__frozenRan, false);
    assert.equal(l.replies.length, 0);
  });

  it('a child claims a run of quick tasks in one message and starts only once it has left; a task with a timeout is claimed alone', async () => {
    const l = loop({ claims: true, autoClaim: false });
    const quick = (i: number) => i;
    // Warm the function (its first run is claimed alone: not known quick yet).
    l.send(batch([1, quick, [1]]));
    await until(() => l.pendingClaims.length === 1, 'first claim');
    assert.equal(l.replies.length, 0, 'nothing starts before its claim has left');
    l.pendingClaims.shift()!();
    await until(() => l.replies.length === 1, 'first reply');
    l.send(batch([2, quick, [2]], [3, quick, [3]], [4, quick, [4], F_NOTIFY_START], [5, quick, [5]]));
    await until(() => l.pendingClaims.length === 1, 'second claim');
    assert.deepEqual(l.claims, [1, 3], 'tasks 2 and 3 in one claim, stopping before the one with a timeout');
    l.pendingClaims.shift()!();
    await until(() => l.pendingClaims.length === 1, 'third claim');
    assert.deepEqual(l.claims, [1, 3, 4], 'the task with a timeout alone');
    l.pendingClaims.shift()!();
    await until(() => l.pendingClaims.length === 1, 'fourth claim');
    l.pendingClaims.shift()!();
    await until(() => l.replies.length === 5, 'all replies');
    assert.ok(
      l.posted.some((m) => m[0] === STARTED && m[1] === 4),
      'the task with a timeout said when it started',
    );
    assert.deepEqual(
      l.replies.map((r) => r[2]),
      [1, 2, 3, 4, 5],
    );
  });

  it('exitAfter: a worker of one task exits after it, with code 1 and the error when it failed', async () => {
    const ok = loop();
    ok.send([INIT, { name: 'p', exitAfter: 1 }]);
    ok.send(batch([1, () => 42, []]));
    await until(() => ok.exits.length === 1, 'exit');
    // (0, unless this test process already has an exit code: the loop keeps a task's process.exitCode)
    assert.deepEqual(ok.exits[0], { code: typeof process.exitCode === 'number' ? process.exitCode : 0, failure: undefined });
    assert.deepEqual(ok.replies, [[1, OK, 42]]);
    const bad = loop();
    bad.send([INIT, { name: 'p', exitAfter: 1 }]);
    bad.send(
      batch([
        1,
        () => {
          throw new RangeError('nope');
        },
        [],
      ]),
    );
    await until(() => bad.exits.length === 1, 'exit');
    assert.equal(bad.exits[0]!.code, 1);
    assert.ok(bad.exits[0]!.failure instanceof RangeError);
  });

  it('a missing task module is a TaskDefinitionError naming the module; one that throws at import gets the worker replaced', async () => {
    const l = loop();
    const missing = new URL('./no-such-module.mjs', import.meta.url).href;
    l.send([RUN, [1, F_EXPORT, missing, 'f', []]]);
    await until(() => l.replies.length === 1, 'reply');
    const err = deserializeError(l.replies[0]![2]) as Error;
    assert.equal(l.replies[0]![1], ERR);
    assert.equal(err.name, 'TaskDefinitionError');
    assert.match(err.message, /no-such-module\.mjs was not found/);
    assert.doesNotMatch(err.message, /run-loop/);
    const t = loop();
    const throwing = new URL('../fixtures/throws-at-load.mjs', import.meta.url).href;
    t.send([RUN, [1, F_EXPORT, throwing, 'f', []]]);
    await until(() => t.exits.length === 1, 'exit');
    const fatal = t.posted.find((m) => m[0] === FATAL)!;
    assert.ok(fatal, 'FATAL sent');
    const why = deserializeError(fatal[2]) as Error;
    assert.match(why.message, /throws-at-load\.mjs threw while being imported: /);
    assert.equal(t.exits[0]!.code, 1);
  });

  it('keeps the most recent inline sources compiled, not every source ever sent (it kept them all)', async () => {
    // Each source counts its compilations (the expression runs once per compile).
    const g = globalThis as { __compiles?: Record<string, number> };
    g.__compiles = {};
    const src = (tag: string) =>
      `((globalThis.__compiles[${JSON.stringify(tag)}] ??= 0), globalThis.__compiles[${JSON.stringify(tag)}]++, (x) => x)`;
    const l = loop();
    let id = 0;
    const run = async (tags: string[]) => {
      const tasks: unknown[] = [];
      for (const t of tags) tasks.push(++id, F_INLINE, src(t), '', [t]);
      l.send([RUN, tasks]);
      await until(() => l.replies.length === id, `replies to ${id} tasks`);
    };
    await run(['first', 'first', 'again']);
    await run(['again']);
    await run(Array.from({ length: 300 }, (_, i) => `other ${i}`));
    await run(['first']);
    assert.equal(g.__compiles.again, 1, 'a source sent again soon is compiled once');
    assert.equal(g.__compiles['other 299'], 1);
    assert.equal(g.__compiles.first, 2, 'a source 300 sources back was dropped, and is compiled again');
    assert.ok(l.replies.every((r) => r[1] === OK));
  });

  it("an inline task compiled by tsx/esbuild with `using` runs (the compiler's helpers are supplied)", async () => {
    const l = loop();
    // What esbuild writes for `using r = res();` inside a function (keepNames on).
    const src = `function f(n) {
      var _stack = [];
      try {
        const r = __using(_stack, { v: n, [Symbol.dispose]() { globalThis.__disposed = true; } });
        return __name(() => r.v * 2, "double")();
      } catch (_) {
        var _error = _, _hasError = true;
      } finally {
        __callDispose(_stack, _error, _hasError);
      }
    }`;
    (globalThis as { __disposed?: boolean }).__disposed = false;
    l.send([RUN, [1, F_INLINE, src, '', [21]]]);
    await until(() => l.replies.length === 1, 'reply');
    assert.deepEqual(l.replies[0], [1, OK, 42]);
    assert.equal((globalThis as { __disposed?: boolean }).__disposed, true);
    // A helper weft does not supply is reported as the compiler's, not the user's.
    const m = loop();
    m.send([RUN, [2, F_INLINE, 'function g() { return __awaiter(this, void 0, void 0, function* () {}); }', '', []]]);
    await until(() => m.replies.length === 1, 'reply');
    const err = deserializeError(m.replies[0]![2]) as Error;
    assert.match(err.message, /"__awaiter", a helper its compiler/);
  });
});
