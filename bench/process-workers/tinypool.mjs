// tinypool worker of bench/process.bench.ts (child_process runtime).
export default function id(x) {
  return x;
}
