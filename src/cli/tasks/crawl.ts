/**
 * The I/O-bound job of `weft demo io`: download one page (the seeds'
 * `download_site`). Runs on the main thread (sequential, asyncio) and inside
 * worker threads and child processes (threads, processes).
 */
import { defineTasks, currentSignal } from '../../index.js';
import { begin, finish, type Stamp } from './_stamp.js';

/** What one download reports back. */
export interface PageResult extends Stamp {
  bytes: number;
  status: number;
}

/** Fetches `url` and reads its body (the seeds' `download_site`). */
async function downloadSite(url: string): Promise<PageResult> {
  const b = begin();
  const res = await fetch(url, { signal: currentSignal() });
  const body = await res.arrayBuffer();
  return { ...finish(b), bytes: body.byteLength, status: res.status };
}

export default defineTasks(import.meta.url, { downloadSite });
