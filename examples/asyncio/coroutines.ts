// Python:
//   async def coroutine1():
//       print("Task 1 started"); await asyncio.sleep(2); print("Task 1 finished")
//   async def coroutine2():
//       print("Task 2 started"); await asyncio.sleep(1); print("Task 2 finished")
//   async def main():
//       task1 = asyncio.create_task(coroutine1())
//       task2 = asyncio.create_task(coroutine2())
//       await task1
//       await task2
//   asyncio.run(main())
//
// Run: npx tsx examples/asyncio/coroutines.ts
import { createTask, run, sleep } from 'weft/asyncio';

async function coroutine1(): Promise<void> {
  console.log('Task 1 started');
  await sleep(2000); // the event loop runs other tasks meanwhile
  console.log('Task 1 finished');
}

async function coroutine2(): Promise<void> {
  console.log('Task 2 started');
  await sleep(1000);
  console.log('Task 2 finished');
}

await run(async () => {
  const task1 = createTask(coroutine1);
  const task2 = createTask(coroutine2);
  await task1;
  await task2;
});
