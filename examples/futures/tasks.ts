/**
 * Task modules hold the code that workers run: no side effects at import time.
 * Each worker thread imports this module once; a module-level variable is
 * therefore per thread, like Python's `threading.local()`.
 */
import { defineTasks, currentSignal } from 'weft';

let downloads = 0; // per worker thread

async function downloadSite(url: string): Promise<number> {
  const response = await fetch(url, { signal: currentSignal() }); // fetch reuses connections per thread
  const body = await response.arrayBuffer();
  downloads++;
  return body.byteLength;
}

function cpuBound(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i * i;
  return sum;
}

export default defineTasks(import.meta.url, {
  downloadSite,
  cpuBound,
  downloadsInThisThread: () => downloads,
});
