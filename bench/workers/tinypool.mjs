// tinypool worker for bench/threads.bench.ts: default export = id, named export fib
export default (x) => x;
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
