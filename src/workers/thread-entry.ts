/**
 * Entry script of a ThreadPoolExecutor worker thread.
 * workerData: { gate: SharedArrayBuffer }   (see run-loop.ts for the gate)
 */
import { parentPort, workerData, threadId, receiveMessageOnPort } from 'node:worker_threads';
import { startRunLoop } from './run-loop.js';

const port = parentPort!;
const gate = workerData?.gate instanceof SharedArrayBuffer ? new Int32Array(workerData.gate) : undefined;
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
  gate,
);

// Replies already computed must reach the parent even if a task calls process.exit().
process.exit = ((code?: number) => {
  loop.flush();
  realExit(code);
}) as typeof process.exit;
