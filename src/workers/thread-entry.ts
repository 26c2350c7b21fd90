/**
 * Entry script of every weft worker thread (ThreadPoolExecutor workers and
 * `Thread`s). workerData: { control, replyLog } (SharedArrayBuffers, see
 * run-loop.ts and transport/reply-log.ts).
 */
import { parentPort, workerData, threadId, receiveMessageOnPort } from 'node:worker_threads';
import { setRuntime } from '../core/runtime.js';
import { startRunLoop } from './run-loop.js';

setRuntime('thread');
const port = parentPort!;
const realExit = process.exit.bind(process);

const loop = startRunLoop(
  {
    post: (msg, transfer) => port.postMessage(msg, transfer as any),
    onMessage: (cb) => {
      port.on('message', cb);
    },
    poll: () => receiveMessageOnPort(port as any)?.message,
    exit: (code) => realExit(code),
    threadId,
  },
  { control: new Int32Array(workerData.control as SharedArrayBuffer), replyLog: workerData.replyLog as SharedArrayBuffer },
);

// Replies already computed must reach the parent even if a task calls process.exit().
process.exit = ((code?: number) => {
  loop.flush();
  realExit(code);
}) as typeof process.exit;
