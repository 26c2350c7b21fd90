// weft task module of bench/process.bench.ts.
import { defineTasks } from 'weft';
export default defineTasks(import.meta.url, {
  id(x) {
    return x;
  },
});
