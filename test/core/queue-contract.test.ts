/**
 * The queue contract (test/contracts/queue.contract.ts) over the three Queues: weft/asyncio
 * (this event loop), weft/threading (shared memory, used from this thread with its async
 * methods) and weft/multiprocessing (the holder process's side of a brokered queue).
 */
import { Queue as AsyncQueue, QueueEmpty, QueueFull, TimeoutError } from 'weft/asyncio';
import { Queue as ThreadQueue } from 'weft/threading';
import { JoinableQueue, Queue as ProcessQueue } from 'weft/multiprocessing';
import { queueContract } from '../contracts/queue.contract.ts';

queueContract('asyncio.Queue', (maxsize) => new AsyncQueue<number>({ maxsize }), {
  getTimeout: TimeoutError,
  putTimeout: TimeoutError,
  fifoWaiters: true,
  taskCancel: true,
  shutdown: true,
  join: true,
  strictOptions: true,
});

queueContract('threading.Queue', (maxsize) => new ThreadQueue<number>({ maxsize }), {
  getTimeout: TimeoutError,
  putTimeout: TimeoutError,
  fifoWaiters: false, // across threads no queue is FIFO-fair
  taskCancel: true,
  shutdown: true,
  join: true,
  strictOptions: true,
});

// Python's multiprocessing.Queue: a timed-out get raises queue.Empty, a put queue.Full;
// no shutdown() / join() (JoinableQueue has join).
queueContract('multiprocessing.Queue', (maxsize) => new ProcessQueue<number>(maxsize ?? 0), {
  getTimeout: QueueEmpty,
  putTimeout: QueueFull,
  fifoWaiters: true,
  taskCancel: true,
  shutdown: false,
  join: false,
  strictOptions: true,
});

queueContract('multiprocessing.JoinableQueue', (maxsize) => new JoinableQueue<number>(maxsize ?? 0), {
  getTimeout: QueueEmpty,
  putTimeout: QueueFull,
  fifoWaiters: true,
  taskCancel: true,
  shutdown: false,
  join: true,
  strictOptions: true,
});
