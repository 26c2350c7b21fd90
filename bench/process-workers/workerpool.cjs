// workerpool worker of bench/process.bench.ts (process mode).
const workerpool = require('workerpool');
workerpool.worker({
  id(x) {
    return x;
  },
});
