import { Pool } from 'weft/multiprocessing';
import tasks from './test/fixtures/tasks.mjs';
const pool = new Pool({ processes: 1, maxtasksperchild: 1, initializer: tasks.add, initargs: [1, 1] });
for (let i = 0; i < 3; i++) {
  const r = await Promise.race([pool.apply(tasks.pid, []), new Promise((r) => setTimeout(r, 3000, 'HUNG'))]);
  console.log(i, r, pool._executor.stats(), pool._executor._workers().map((w) => w.state));
}
await pool.terminate();
