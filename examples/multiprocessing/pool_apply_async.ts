/**
 * Pool.apply_async: run a function in another process without blocking, and
 * poll the result handle.
 *
 *   p = multiprocessing.Pool()
 *   r = p.apply_async(add, (3, 4))     # r is an ApplyResult object
 *   while not r.ready():
 *       time.sleep(0.1)
 *   print(r.ready())                   # True
 *   print(r.successful())              # True
 *   print(r.get())                     # 7 (get has an optional timeout)
 *
 *   npx tsx examples/multiprocessing/pool_apply_async.ts
 */
import { Pool } from 'weft/multiprocessing';
import { setTimeout as sleep } from 'node:timers/promises';
import tasks from './tasks.ts';

const p = new Pool();
const r = p.applyAsync(tasks.add, [3, 4], { callback: (v) => console.log('callback got', v) });

// We could `await r.wait(timeout)` instead of polling.
while (!r.ready()) await sleep(100);

console.log(r.ready()); // true
console.log(r.successful()); // true
console.log(await r.get()); // 7 (get takes an optional timeout in ms)

p.close();
await p.join();
