// bench/cold: the task of piscina and tinypool (default export): returns x after
// keeping the CPU busy for ms milliseconds (0: returns at once).
export default ({ x, ms }) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
  return x;
};
