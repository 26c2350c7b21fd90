/**
 * The seeds' CPU-bound job on processes: sum of squares over many numbers with
 * Pool.map, against a sequential loop. Processes run on every core.
 *
 *   npx tsx examples/multiprocessing/cpu_bound.ts
 */
import { Pool, cpuCount } from 'weft/multiprocessing';
import tasks from './tasks.ts';

const numbers = Array.from({ length: 8 }, (_, i) => 40_000_000 + i);

let start = performance.now();
const sequential = numbers.map((n) => tasks.cpuBound(n));
const seq = (performance.now() - start) / 1000;

await using pool = new Pool({ processes: cpuCount() });
await pool.map(
  tasks.cpuBound,
  Array.from({ length: cpuCount() }, () => 1),
  1,
); // start the processes first
start = performance.now();
const parallel = await pool.map(tasks.cpuBound, numbers, 1);
const par = (performance.now() - start) / 1000;

console.log(`same results: ${JSON.stringify(sequential) === JSON.stringify(parallel)}`);
console.log(`sequential ${seq.toFixed(2)} s, ${cpuCount()} processes ${par.toFixed(2)} s (processes already started)`);
