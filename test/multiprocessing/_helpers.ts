/** Helpers of the multiprocessing and process-pool tests. */
import { execFileSync } from 'node:child_process';

/** True if `pid` no longer runs (gone, or a zombie waiting for a reaper that is not ours). */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat === '' || stat.startsWith('Z');
  } catch {
    return true;
  }
}
