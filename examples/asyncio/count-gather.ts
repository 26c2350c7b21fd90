// Python:
//   async def count():
//       print("One"); await asyncio.sleep(1); print("Two")
//   async def main():
//       await asyncio.gather(count(), count(), count())
//
// All three "One" print before any "Two": the sleeps wait in parallel, so the
// whole program takes about 1 s, not 3.
//
// Run: npx tsx examples/asyncio/count-gather.ts
import { gather, run, sleep } from 'weft/asyncio';

async function count(): Promise<void> {
  console.log('One');
  await sleep(1000);
  console.log('Two');
}

const s = performance.now();
await run(async () => {
  await gather(count(), count(), count());
});
console.log(`Executed in ${((performance.now() - s) / 1000).toFixed(2)} seconds.`);
