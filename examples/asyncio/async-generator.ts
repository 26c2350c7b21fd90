// Python:
//   async def thing():
//       return "thing"
//   async def asyncgen():
//       yield await thing()  # await allowed!
//       yield "two"
//   async def function():
//       async for value in asyncgen():
//           print(value)
//   asyncio.run(function())
//
// `async for` is `for await`. A weft Queue is an async iterable too.
//
// Run: npx tsx examples/asyncio/async-generator.ts
import { Queue, createTask, run, sleep } from 'weft/asyncio';

async function thing(): Promise<string> {
  return 'thing';
}

async function* asyncgen(): AsyncGenerator<string> {
  yield await thing();
  yield 'two';
}

await run(async () => {
  for await (const value of asyncgen()) console.log(value);

  // Producer / consumer through a Queue: iteration ends when the queue is shut down.
  const q = new Queue<number>({ maxsize: 2 });
  createTask(async () => {
    for (let i = 1; i <= 3; i++) {
      await q.put(i);
      await sleep(100);
    }
    q.shutdown();
  });
  for await (const n of q) console.log('got', n);
});
