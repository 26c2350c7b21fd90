/**
 * Entry script of every weft child process (ProcessPoolExecutor workers and
 * multiprocessing Process children). The parent forks it with an IPC channel
 * in 'advanced' serialization; the run loop is the same as in worker threads.
 *
 * How a child ends, and what the parent learns:
 * - the IPC channel closes (the parent retired it, or the parent died): exit 0 at once
 *   (process 'exit' handlers run);
 * - the parent died (killed by a signal: none of its exit hooks ran) while a task
 *   holds this child's main thread in a synchronous loop, so the channel closing
 *   goes unseen: the control thread (below) sees its socket close and SIGKILLs
 *   the child;
 * - a task calls process.exit(), or an error escapes (uncaught exception): the
 *   child flushes its replies, then says how many tasks it had taken
 *   ([PROGRESS, LAST_WORD, started, error?]) so the parent can give the others
 *   to another child, then exits;
 * - SIGKILL, abort, out of memory: no last word; the parent counts every
 *   unanswered task as started (nothing ever runs twice).
 *
 * A multiprocessing Process child is told `exitAfter: 1` in its INIT: it runs
 * its one target, then exits with code 0, or prints the error on stderr and
 * exits with code 1 when the target threw, as Python does (run-loop.ts).
 */
import { startRunLoop } from './run-loop.js';
import { getRuntime, setRuntime } from '../core/runtime.js';
import { brokerLinkLost } from '../transport/brokered.js';
import { serializeError } from '../transport/errors.js';
import { CB_WORDS, CTL_FD, INIT, LAST_WORD, PROGRESS, RUN } from '../transport/protocol.js';
import { newReplyLog } from '../transport/reply-log.js';
import { Worker } from 'node:worker_threads';

setRuntime('process');

if (typeof process.send !== 'function') {
  process.stderr.write('weft: process-entry.js runs only as a child forked by weft (it needs an IPC channel)\n');
  process.exit(2);
}

// ── the control thread ───────────────────────────────────────────────────
// Shares the control block and the reply log with this thread, and answers the
// parent over the control socket even while a task holds this thread (which
// task started, freeze before a kill, and ending the child when the parent dies:
// child-control.ts). Started with the first task or initializer (only those can
// hold this thread), so it boots on another core while the task runs and
// start-up (fork to READY) does not wait for it. Unref'd: it never keeps the
// child alive. No execArgv (a `--import tsx` would load a loader it does not
// need) and a small heap.
const shared = {
  control: new Int32Array(new SharedArrayBuffer(CB_WORDS * 4)),
  replyLog: newReplyLog(),
};
let controlStarted = false;
function startControl(): void {
  controlStarted = true;
  try {
    const t = new Worker(new URL('./child-control.js', import.meta.url), {
      workerData: { control: shared.control.buffer, replyLog: shared.replyLog, fd: CTL_FD },
      execArgv: [],
      name: 'weft-control',
      stdout: true,
      stderr: true,
      trackUnmanagedFds: false,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2, stackSizeMb: 1 },
    });
    t.on('error', () => {
      /* the control thread failing must not end the child */
    });
    t.unref();
  } catch {
    /* no threads here: the channel closing still ends us whenever we are free */
  }
}

const send = process.send.bind(process) as (
  msg: unknown,
  handle?: undefined,
  opts?: undefined,
  cb?: (err: Error | null) => void,
) => boolean;
const realExit = process.exit.bind(process);
let ending = false;

function printError(err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  try {
    process.stderr.write(`Process ${getRuntime().name ?? process.pid}:\n${text}\n`);
  } catch {
    /* stderr closed */
  }
}

/** Flushes replies, tells the parent how many tasks were taken, exits. */
function lastWord(code: number, err?: unknown): never {
  if (!ending) {
    ending = true;
    try {
      loop.flush();
      if (process.connected) send([PROGRESS, LAST_WORD, loop.started(), err === undefined ? undefined : serializeError(err)]);
    } catch {
      /* the channel is gone */
    }
  }
  return realExit(code);
}

const loop = startRunLoop(
  {
    post(msg: unknown) {
      if (process.connected) send(msg);
    },
    onMessage(cb) {
      process.on('message', (msg: any) => {
        if (Array.isArray(msg)) {
          if (msg[0] === INIT) {
            if (msg[1]?.initializer !== undefined && !controlStarted) startControl(); // it may hang too
          } else if (msg[0] === RUN && !controlStarted) startControl();
        }
        cb(msg);
      });
    },
    exit(code, failure) {
      // A Process whose target threw prints it, as Python's does.
      if (failure !== undefined) printError(failure);
      lastWord(code);
    },
    threadId: process.pid,
    shipsLog: true,
    sendThen(msg, then) {
      // The callback runs once the message is written to the channel.
      if (process.connected)
        send(msg, undefined, undefined, (err) => {
          if (!err) then();
        });
    },
  },
  shared,
);

// Replies already computed must reach the parent even if a task calls process.exit().
process.exit = ((code?: number | string | null) =>
  lastWord(
    code === undefined || code === null ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : Number(code),
  )) as typeof process.exit;

// The parent has gone (or retired us): nothing to do here any more.
process.on('disconnect', () => {
  brokerLinkLost(new Error('The parent process has gone'));
  realExit(0);
});

// A message sent as the parent closes the channel (it is stopping this child, or it
// died) fails with EPIPE / ERR_IPC_CHANNEL_CLOSED: nobody is left to tell; 'disconnect'
// ends the child. Not an error of any task.
process.on('error', (err: NodeJS.ErrnoException) => {
  if (err?.code === 'EPIPE' || err?.code === 'ERR_IPC_CHANNEL_CLOSED' || !process.connected) return;
  printError(err);
  lastWord(1, err);
});

// An error that escapes every task ends the child, as it would end any Node process.
process.on('uncaughtException', (err) => {
  printError(err);
  lastWord(1, err);
});
