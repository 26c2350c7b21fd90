/**
 * workerprocesses.py: start three worker processes, each printing its number.
 *
 *   import multiprocessing
 *   def worker(i): print(f'Worker {i}')
 *   if __name__ == '__main__':
 *       for i in range(3):
 *           p = multiprocessing.Process(target=worker, args=(i,))
 *           p.start()
 *
 * As in Python, the parent does not join them, yet waits for them before it
 * exits (they are non-daemon). The order of the lines is up to the OS.
 *
 *   npx tsx examples/multiprocessing/worker_processes.ts
 */
import { Process } from 'weft/multiprocessing';
import tasks from './tasks.ts';

for (let i = 0; i < 3; i++) {
  const p = new Process(tasks.worker, { args: [i] });
  p.start();
}
