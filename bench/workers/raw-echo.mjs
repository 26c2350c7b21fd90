// Raw worker_threads anchor for bench/threads.bench.ts.
//   number             -> echoed back as is (one message per task)
//   [offset, items[]]  -> [offset, items.map(x => x)] (batched map)
import { parentPort } from 'node:worker_threads';

const id = (x) => x;
parentPort.on('message', (m) => {
  if (typeof m === 'number') {
    parentPort.postMessage(m);
    return;
  }
  const items = m[1];
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = id(items[i]);
  parentPort.postMessage([m[0], out]);
});
