/**
 * Three processes started, then joined: "All processes completed" comes last.
 *
 *   processes = [multiprocessing.Process(target=process_function, args=(f"P{i}",)) for i in range(3)]
 *   [process.start() for process in processes]
 *   [process.join() for process in processes]
 *   print("All processes completed")
 *
 *   npx tsx examples/multiprocessing/process_join.ts
 */
import { Process } from 'weft/multiprocessing';
import tasks from './tasks.ts';

const processes = [0, 1, 2].map((i) => new Process(tasks.processFunction, { args: [`P${i}`] }));
for (const p of processes) p.start();
for (const p of processes) await p.join();
console.log(
  'All processes completed',
  processes.map((p) => p.exitCode),
);
