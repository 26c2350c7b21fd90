/**
 * The task module of the multiprocessing examples: the code child processes
 * run. Like Python's, it must be importable by the child, with no side effects
 * at import time. Each child process imports it once.
 */
import { defineTasks } from 'weft';
import { currentProcess } from 'weft/multiprocessing';

function worker(i: number): void {
  console.log(`Worker ${i}`);
}

function processFunction(name: string): void {
  console.log(`Process ${name} is running (pid ${process.pid}, ${currentProcess().name})`);
}

function add(x: number, y: number): number {
  return x + y;
}

function cpuBound(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i * i;
  return sum;
}

export default defineTasks(import.meta.url, { worker, processFunction, add, cpuBound });
