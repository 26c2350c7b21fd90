/**
 * The worker handle's contract (futures/worker-handle.ts): its named states and
 * transitions, illegal ones throwing InvalidStateError, and the one question
 * "which of my tasks had started?" answered on `gone`; first over a fake
 * backend, then over both real ones (a thread and a child process).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidStateError } from '../../src/core/errors.ts';
import { WorkerHandle, type Task, type WorkerEnd, type WorkerOwner } from '../../src/futures/worker-handle.ts';
// Real workers run the built entry scripts: take the backends from the build.
import { ThreadWorker } from '../../dist/futures/thread-worker.js';
import { ChildWorker } from '../../dist/futures/child-worker.js';
import { DONE, F_INLINE, OK, READY } from '../../src/transport/protocol.ts';
import { guard, until } from '../contracts/helpers.ts';

class Owner implements WorkerOwner<Task> {
  ready = 0;
  answered: [number, number, unknown][] = [];
  end: WorkerEnd<Task> | undefined;
  workerReady(): void {
    this.ready++;
  }
  taskAnswered(_w: WorkerHandle<Task>, t: Task, status: number, value: unknown): void {
    this.answered.push([t.id, status, value]);
  }
  repliesHandled(): void {}
  taskStarted(): void {}
  initFailed(): void {}
  workerGone(_w: WorkerHandle<Task>, end: WorkerEnd<Task>): void {
    this.end = end;
  }
}

/** A backend with no worker behind it: the test plays the worker. */
class FakeWorker extends WorkerHandle<Task> {
  started = 0;
  posts: unknown[][] = [];
  terminated = false;
  /** Thrown by spawn (no thread could be made, flags refused, fork failed). */
  spawnError: Error | undefined;
  protected spawn(): void {
    if (this.spawnError) throw this.spawnError;
  }
  protected post(msg: unknown): void {
    this.posts.push(msg as unknown[]);
  }
  protected terminate(): void {
    this.terminated = true;
  }
  protected halt(): void {
    this.terminate();
  }
  protected setRef(): void {}
  protected startedAtEnd(): number {
    return this.started;
  }
  protected markCancelled(t: Task): boolean {
    return t.seq >= this.started;
  }
  mayHaveStarted(t: Task): boolean {
    return t.seq < this.started;
  }
  /** The worker's side: a message, or its end. */
  from(msg: unknown[]): void {
    this.handleMessage(msg);
  }
  exit(code: number | null, signal: string | null = null): void {
    this.ended({ exitCode: code, signal });
  }
}

let nextId = 1;
function task(source = '(x) => x', args: unknown[] = [1]): Task {
  return { id: nextId++, flags: F_INLINE, target: source, name: '', args, transfer: undefined, seq: -1 };
}

describe('WorkerHandle', { timeout: 60_000 }, () => {
  it('starting -> ready -> retiring -> gone; every other move from gone is refused', () => {
    const o = new Owner();
    const w = new FakeWorker(o);
    assert.equal(w.state, 'starting');
    w.start({ name: 'w' });
    assert.throws(() => w.start({ name: 'w' }), InvalidStateError, 'start twice');
    w.from([READY, 5]);
    assert.equal(w.state, 'ready');
    assert.equal(w.threadId, 5);
    assert.equal(o.ready, 1);
    w.retire();
    assert.equal(w.state, 'retiring');
    w.retire(); // idempotent
    w.exit(0);
    assert.equal(w.state, 'gone');
    assert.equal(o.end!.intentional, true);
    assert.throws(() => w.send([task()]), InvalidStateError, 'send to a gone worker');
    w.kill(); // nothing to kill
    w.retire();
    assert.equal(w.state, 'gone');
  });

  it('a spawn that throws: start() throws, and the worker still ends (gone, whenGone settles, its owner hears once)', async () => {
    const owner = new Owner();
    const w = new FakeWorker(owner);
    w.spawnError = new Error('no thread could be made');
    assert.throws(() => w.start({ name: 'w' }), /no thread could be made/);
    // A pool breaks here, killing its starting workers: that must not keep it from ending.
    w.kill();
    await w.whenGone();
    assert.equal(w.state, 'gone');
    assert.ok(owner.end, 'the owner heard it end');
    assert.equal(owner.end.beforeReady, true);
    assert.equal(owner.end.intentional, true);
    assert.match(String((owner.end.cause as Error).message), /no thread could be made/);
  });

  it('kill from any live state -> killing -> gone; a retiring worker can still be killed', () => {
    for (const before of ['starting', 'ready', 'retiring'] as const) {
      const o = new Owner();
      const w = new FakeWorker(o);
      w.start({ name: 'w' });
      if (before !== 'starting') w.from([READY, 1]);
      if (before === 'retiring') w.retire();
      w.kill();
      assert.equal(w.state, 'killing', before);
      assert.equal(w.terminated, true);
      w.exit(null, 'SIGKILL');
      assert.equal(w.state, 'gone');
      assert.equal(o.end!.beforeReady, before === 'starting');
    }
  });

  it('on gone: started and unanswered tasks crash, unstarted ones come back, answered ones are left alone', () => {
    const o = new Owner();
    const w = new FakeWorker(o);
    w.start({ name: 'w' });
    w.from([READY, 1]);
    const ts = [task(), task(), task(), task(), task()];
    assert.equal(w.send(ts), undefined);
    assert.deepEqual(
      ts.map((t) => t.seq),
      [0, 1, 2, 3, 4],
    );
    w.from([DONE, undefined, 0, [ts[0]!.id, OK, 'a', 0]]); // task 0 answered
    w.started = 3; // tasks 0, 1, 2 started; 1 and 2 unanswered
    w.exit(1);
    const end = o.end!;
    assert.deepEqual(
      end.crashed.map((t) => t.seq),
      [1, 2],
    );
    assert.deepEqual(
      end.unstarted.map((t) => t.seq),
      [3, 4],
    );
    assert.deepEqual(o.answered, [[ts[0]!.id, OK, 'a']]);
    assert.equal(end.intentional, false, 'it ended on its own');
  });

  it('a task whose argument cannot be sent is refused alone; the others go and the counters stay right', () => {
    const o = new Owner();
    const w = new (class extends FakeWorker {
      protected override post(msg: unknown): void {
        structuredClone(msg);
        super.post(msg);
      }
    })(o);
    w.start({ name: 'w' });
    w.from([READY, 1]);
    const good = task();
    const bad = task('(x) => x', [{ f() {} }]);
    const failed = w.send([good, bad]);
    assert.equal(failed?.length, 1);
    assert.equal(failed![0]!.task, bad);
    assert.ok(failed![0]!.error instanceof TypeError);
    assert.equal(w.load, 1);
    assert.equal(w.sentCount, 1);
  });

  it('a real thread: peekReplies answers from the reply log ahead of DONE, and the DONE messages that follow answer nothing twice', async () => {
    class Counting extends Owner {
      handled = 0;
      override repliesHandled(): void {
        this.handled++;
      }
    }
    const o = new Counting();
    const w = new ThreadWorker<Task>(o as any, { name: 'peek' }) as unknown as WorkerHandle<Task>;
    w.start({ name: 'peek' });
    await until(() => o.ready > 0, 'ready');
    /** Spins without yielding (no message can be handled meanwhile) until the log has a reply. */
    const peekNow = () => {
      const until = performance.now() + 10_000;
      while (!w.peekReplies()) assert.ok(performance.now() < until, 'a reply reached the log within 10 s');
    };
    const sent: Task[] = [];
    for (let round = 0; round < 50; round++) {
      // Two tasks, each read from the log before any DONE is handled: the first DONE then
      // announces a position already read past (as a poll that ran ahead would leave it).
      const a = task('(x) => x * 2', [round]);
      const b = task('(x) => { if (x % 3 === 0) throw new RangeError("no " + x); return -x; }', [round]);
      w.send([a]);
      peekNow();
      w.send([b]);
      peekNow();
      sent.push(a, b);
    }
    await until(() => o.handled >= sent.length, 'every DONE handled');
    assert.equal(o.answered.length, sent.length, 'each task answered once');
    assert.deepEqual(
      o.answered.map(([id]) => id),
      sent.map((t) => t.id),
    );
    for (let round = 0; round < 50; round++) {
      const [[, sa, va], [, sb, vb]] = [o.answered[2 * round]!, o.answered[2 * round + 1]!];
      assert.deepEqual([sa, va], [OK, round * 2]);
      if (round % 3 === 0) assert.match(JSON.stringify(vb), /no \d+/, `round ${round}: the error`);
      else assert.deepEqual([sb, vb], [OK, -round]);
    }
    assert.equal(w.load, 0);
    w.retire();
    await guard(w.whenGone(), 'peek worker gone');
  });

  for (const [kind, make] of [
    ['thread', (o: Owner) => new ThreadWorker<Task>(o as any, { name: 'contract' }) as unknown as WorkerHandle<Task>],
    ['child process', (o: Owner) => new ChildWorker<Task>(o as any, { daemon: true }) as unknown as WorkerHandle<Task>],
  ] as const) {
    it(`a real ${kind}: starts, runs, retires; another is killed mid-task: the running task crashes, the rest come back`, async () => {
      const o = new Owner();
      const w = make(o);
      w.start({ name: 'contract' });
      const t = task('(a, b) => a + b', [2, 3]);
      w.send([t]);
      await until(() => o.answered.length > 0, 'answer');
      assert.deepEqual(o.answered, [[t.id, OK, 5]]);
      assert.equal(w.state, 'ready');
      w.retire();
      await guard(w.whenGone(), 'retired worker gone');
      assert.equal(w.state, 'gone');
      assert.equal(o.end!.intentional, true);

      const o2 = new Owner();
      const k = make(o2);
      k.start({ name: 'contract' });
      const stuck = task('() => { for (;;) {} }', []);
      const behind = task('(x) => x', [1]);
      k.send([stuck, behind]);
      await until(() => k.mayHaveStarted(stuck) === true, 'stuck task started');
      k.kill();
      assert.equal(k.state, 'killing');
      await guard(k.whenGone(), 'killed worker gone');
      assert.deepEqual(
        o2.end!.crashed.map((x) => x.id),
        [stuck.id],
      );
      assert.deepEqual(
        o2.end!.unstarted.map((x) => x.id),
        [behind.id],
      );
    });
  }
});
