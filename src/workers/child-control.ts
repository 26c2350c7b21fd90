/**
 * The control thread of a weft child process: a small worker thread that
 * answers the parent while the child's main thread may be stuck in a task.
 *
 * The parent and this thread talk over a socket (the child's fd 4, set up by
 * futures/child.ts); the child's main thread shares the control block and the
 * reply log with this thread (run-loop.ts). So a child, like a worker thread,
 * can tell exactly which task started, even mid-batch and even stuck:
 *
 *   parent ─[CANCEL seq]─> mark task `seq` cancelled in the control block, then
 *                          read STARTED: the answer is that count. A task not
 *                          started by then is skipped when the main thread reaches
 *                          it (it checks the mark after its claim), so the parent
 *                          never kills a child for a task that never ran.
 *   parent ─[FREEZE]─────> swap STARTED for FROZEN (nothing more starts), freeze
 *                          the reply log and send the count and the replies not
 *                          sent yet; the parent then kills the child, and only
 *                          the task that was running fails.
 *
 * It also ends the child when the parent is gone: the socket reads end-of-file
 * when the parent dies, however it dies (a SIGKILL runs no exit hook). The main
 * thread exits by itself when it sees its IPC channel close; if it is stuck in a
 * synchronous loop it cannot, so one round later this thread SIGKILLs the child.
 *
 * workerData: { control: SharedArrayBuffer, replyLog: SharedArrayBuffer, fd: number }
 */
import { Socket } from 'node:net';
import { workerData } from 'node:worker_threads';
import { dumpFrozen } from '../transport/reply-log.js';
import { CTL_CANCEL, CTL_FREEZE, GATE_FROZEN, freezeBlock, markCancelledIn } from '../transport/protocol.js';

const { control, replyLog, fd } = workerData as { control: SharedArrayBuffer; replyLog: SharedArrayBuffer; fd: number };
const cb = new Int32Array(control);
let frozenAt = -1;
let pending: Buffer = Buffer.alloc(0);

// This thread's own event loop serves the socket: it runs while the main thread is
// stuck, and lets the process exit at any time (no blocking read to wait out).
const socket = new Socket({ fd, readable: true, writable: true });

socket.on('data', (d: Buffer) => {
  let buf = pending.length ? Buffer.concat([pending, d]) : d;
  while (buf.length >= 5) {
    const op = buf.readUInt8(0);
    const arg = buf.readUInt32LE(1);
    buf = buf.subarray(5);
    if (op === CTL_CANCEL) {
      const s = markCancelledIn(cb, arg);
      answer(CTL_CANCEL, s === GATE_FROZEN ? frozenAt : s);
    } else if (op === CTL_FREEZE) {
      if (frozenAt < 0) frozenAt = freezeBlock(cb);
      answer(CTL_FREEZE, frozenAt, dumpFrozen(replyLog));
    }
  }
  pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
});

function answer(op: number, started: number, body?: Uint8Array): void {
  const head = Buffer.alloc(body ? 9 : 5);
  head.writeUInt8(op, 0);
  head.writeInt32LE(started, 1);
  if (body) head.writeUInt32LE(body.length, 5);
  socket.write(body?.length ? Buffer.concat([head, body]) : head);
}

// The parent is gone (end of file, or the socket broke). A free main thread exits
// by itself (its IPC channel closed); give it one round, then make sure.
let ending = false;
function parentGone(): void {
  if (ending) return;
  ending = true;
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 500);
}
socket.on('end', parentGone);
socket.on('error', parentGone);
