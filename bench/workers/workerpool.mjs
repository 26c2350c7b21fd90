// workerpool worker for bench/threads.bench.ts
import workerpool from 'workerpool';

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

workerpool.worker({ id: (x) => x, fib });
