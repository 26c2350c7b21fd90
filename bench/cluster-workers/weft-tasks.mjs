// weft task module of bench/cluster.bench.ts (every node loads it).
import { existsSync, writeFileSync } from 'node:fs';
import { defineTasks, currentSignal } from 'weft';

export default defineTasks(import.meta.url, {
  id(x) {
    return x;
  },
  /** Slow the first time (until its node is killed), quick when run again: marks the first run in `file`. */
  async slowOnce(file) {
    if (existsSync(file)) return 'rerun';
    writeFileSync(file, String(process.pid));
    const signal = currentSignal();
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, 120_000);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          reject(signal.reason);
        },
        { once: true },
      );
    });
    return 'first';
  },
});
