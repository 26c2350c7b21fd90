/**
 * Entry script of every weft child process (ProcessPoolExecutor workers and
 * multiprocessing Process children). The parent forks it with an IPC channel
 * in 'advanced' serialization; the run loop is the same as in worker threads.
 *
 * How a child ends, and what the parent learns:
 * - the IPC channel closes (the parent retired it, or the parent died): exit 0 at once;
 * - a task calls process.exit(), or an error escapes (uncaught exception): the
 *   child flushes its replies, then says how many tasks it had taken
 *   ([PROGRESS, started, 1, error?]) so the parent can give the others to
 *   another child, then exits;
 * - SIGKILL, abort, out of memory: no last word; the parent counts every
 *   unanswered task as started (nothing ever runs twice).
 *
 * In 'process' mode (a multiprocessing Process) the child runs its one target,
 * then exits with code 0, or prints the error on stderr and exits with code 1
 * when the target threw, as Python does.
 */
import { startRunLoop } from './run-loop.js';
import { brokerLinkLost } from '../transport/brokered.js';
import { serializeError, deserializeError } from '../transport/errors.js';
import { DONE, ERR, INIT, PROGRESS, type WorkerInit } from '../transport/protocol.js';

const ENV_NAME = 'WEFT_PROCESS_NAME', ENV_DAEMON = 'WEFT_PROCESS_DAEMON';

// Who we are, for currentProcess(); removed from the env so our own children do not inherit it.
const me = { name: process.env[ENV_NAME] ?? `Process-${process.pid}`, pid: process.pid, daemon: process.env[ENV_DAEMON] === '1' };
delete process.env[ENV_NAME];
delete process.env[ENV_DAEMON];
(globalThis as any)[Symbol.for('weft.currentProcess')] = me;

if (typeof process.send !== 'function') {
  process.stderr.write('weft: process-entry.js runs only as a child forked by weft (it needs an IPC channel)\n');
  process.exit(2);
}

const send = process.send.bind(process) as (msg: unknown) => boolean;
const realExit = process.exit.bind(process);
let mode: WorkerInit['mode'] = 'pool';
let ending = false;

function printError(err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  try { process.stderr.write(`Process ${me.name}:\n${text}\n`); } catch { /* stderr closed */ }
}

/** Flushes replies, tells the parent how many tasks were taken, exits. */
function lastWord(code: number, err?: unknown): never {
  if (!ending) {
    ending = true;
    try {
      loop.flush();
      if (process.connected) send([PROGRESS, loop.started(), 1, err === undefined ? undefined : serializeError(err)]);
    } catch { /* the channel is gone */ }
  }
  return realExit(code);
}

const loop = startRunLoop({
  post(msg: any) {
    if (!process.connected) return;
    send(msg);
    if (mode === 'process' && msg[0] === DONE) {
      // The target's one reply: exit as Python's Process does.
      const batch = msg[1] as unknown[];
      if (batch[1] === ERR) {
        printError(deserializeError(batch[2]));
        lastWord(1);
      }
      lastWord(typeof process.exitCode === 'number' ? process.exitCode : 0);
    }
  },
  onMessage(cb) {
    process.on('message', (msg: any) => {
      if (Array.isArray(msg) && msg[0] === INIT) mode = (msg[1] as WorkerInit).mode ?? 'pool';
      cb(msg);
    });
  },
  exit: (code) => lastWord(code),
  threadId: process.pid,
  reportsProgress: true,
  claim(upTo, then) {
    // The callback runs once the message is written to the channel (next tick if it went at once).
    if (process.connected) process.send!([PROGRESS, upTo, 2], undefined, undefined, (err: Error | null) => { if (!err) then(); });
  },
}, undefined);

// Replies already computed must reach the parent even if a task calls process.exit().
process.exit = ((code?: number | string | null) => lastWord(code === undefined || code === null ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : Number(code))) as typeof process.exit;

// The parent has gone (or retired us): nothing to do here any more.
process.on('disconnect', () => {
  brokerLinkLost(new Error('The parent process has gone'));
  realExit(0);
});

// An error that escapes every task ends the child, as it would end any Node process.
process.on('uncaughtException', (err) => {
  printError(err);
  lastWord(1, err);
});
