// Python:
//   async def main():
//       print('hello')
//       await asyncio.sleep(1)
//       print('world')
//   asyncio.run(main())
//
// Run: npx tsx examples/asyncio/hello-world.ts
import { run, sleep } from 'weft/asyncio';

await run(async () => {
  console.log('hello');
  await sleep(1000);
  console.log('world');
});
