/**
 * The seeds' CPU-bound job: sum of squares over many numbers. In Python only
 * processes speed it up (the GIL serialises threads); worker threads have no
 * GIL, so a ThreadPoolExecutor scales with the cores.
 *
 *   npx tsx examples/futures/cpu_bound.ts
 */
import { ThreadPoolExecutor, cpuCount } from 'weft';
import tasks from './tasks.ts';

const numbers = Array.from({ length: 16 }, (_, i) => 40_000_000 + i);

let start = performance.now();
const sequential = numbers.map((n) => tasks.cpuBound(n));
const seqSeconds = (performance.now() - start) / 1000;
console.log(`Sequential:          ${seqSeconds.toFixed(2)} s`);

await using pool = new ThreadPoolExecutor({ maxWorkers: cpuCount() });
// Start the workers and warm up their JIT before timing, as the sequential run warmed up ours.
await pool.map(
  tasks.cpuBound,
  Array.from({ length: cpuCount() * 2 }, () => 1_000_000),
);
start = performance.now();
const parallel = await pool.map(tasks.cpuBound, numbers);
const parSeconds = (performance.now() - start) / 1000;
console.log(`${cpuCount()} worker threads:    ${parSeconds.toFixed(2)} s  (${(seqSeconds / parSeconds).toFixed(2)}x)`);
console.log(`Same results: ${parallel.every((v, i) => v === sequential[i])}`);
