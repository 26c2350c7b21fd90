/**
 * processingpool.py: run a function in another process and wait for its result.
 *
 *   p = multiprocessing.Pool()
 *   r = p.apply(add, (3, 4))
 *   print(r)                   # 7
 *
 *   npx tsx examples/multiprocessing/pool_apply.ts
 */
import { Pool } from 'weft/multiprocessing';
import tasks from './tasks.ts';

await using p = new Pool(); // terminated at the end of the block, like `with Pool() as p`
const r = await p.apply(tasks.add, [3, 4]);
console.log(r); // 7
