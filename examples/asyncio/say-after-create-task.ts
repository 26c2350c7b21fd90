// Python:
//   async def main():
//       task1 = asyncio.create_task(say_after(1, 'hello'))
//       task2 = asyncio.create_task(say_after(2, 'world'))
//       print(f"started at {time.strftime('%X')}")
//       await task1
//       await task2
//       print(f"finished at {time.strftime('%X')}")
//
// The two tasks run concurrently: about 2 s in all, not 3.
//
// Run: npx tsx examples/asyncio/say-after-create-task.ts
import { createTask, run, sleep } from 'weft/asyncio';

const now = () => new Date().toTimeString().slice(0, 8);

async function sayAfter(delay: number, what: string): Promise<void> {
  await sleep(delay);
  console.log(what);
}

await run(async () => {
  const task1 = createTask(() => sayAfter(1000, 'hello'));
  const task2 = createTask(() => sayAfter(2000, 'world'));
  console.log(`started at ${now()}`);
  await task1;
  await task2;
  console.log(`finished at ${now()}`);
});
