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
    await new Promise((r, j) => {
      const t = setTimeout(r, 120_000);
      currentSignal().addEventListener('abort', () => (clearTimeout(t), j(currentSignal().reason)), { once: true });
    });
    return 'first';
  },
});
