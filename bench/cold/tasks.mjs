// bench/cold: weft's task module, JavaScript. work(x, ms): returns x after keeping
// the CPU busy for ms milliseconds (0: returns at once).
import { defineTasks } from 'weft';

export default defineTasks(import.meta.url, {
  work: (x, ms) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
    return x;
  },
});
