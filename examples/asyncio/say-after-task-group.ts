// Python 3.11+:
//   async def main():
//       async with asyncio.TaskGroup() as tg:
//           task1 = tg.create_task(say_after(1, 'hello'))
//           task2 = tg.create_task(say_after(2, 'world'))
//           print(f"started at {time.strftime('%X')}")
//       # The await is implicit when the context manager exits.
//       print(f"finished at {time.strftime('%X')}")
//
// `await using` is the `async with`; `taskGroup(async (tg) => ...)` is the same
// with the body in its own cancel scope (a failing child also cancels the body).
//
// Run: npx tsx examples/asyncio/say-after-task-group.ts
import { TaskGroup, run, sleep, taskGroup } from 'weft/asyncio';

const now = () => new Date().toTimeString().slice(0, 8);

async function sayAfter(delay: number, what: string): Promise<void> {
  await sleep(delay);
  console.log(what);
}

await run(async () => {
  {
    await using tg = new TaskGroup();
    tg.createTask(() => sayAfter(1000, 'hello'));
    tg.createTask(() => sayAfter(2000, 'world'));
    console.log(`started at ${now()}`);
  } // waits for both tasks here
  console.log(`finished at ${now()}`);

  // The same with taskGroup():
  await taskGroup(async (tg) => {
    tg.createTask(() => sayAfter(500, 'hello again'));
    tg.createTask(() => sayAfter(1000, 'world again'));
  });
  console.log(`finished again at ${now()}`);
});
