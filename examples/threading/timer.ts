// Python's threading.Timer: run a function in a thread of its own after a delay,
// unless it is cancelled first.
//
//   t = threading.Timer(0.2, remind, args=("stretch",)); t.start()
//   u = threading.Timer(0.1, remind, args=("never",));   u.start(); u.cancel()
//
// Run: npx tsx examples/threading/timer.ts
import { Timer, enumerate } from 'weft/threading';
import tasks from './tasks.js';

const t = new Timer(200, tasks.remind, { args: ['stretch'], name: 'stretch-timer' });
const u = new Timer(100, tasks.remind, { args: ['this never prints'], name: 'cancelled-timer' });
t.start();
u.start();
console.log(
  `[main] armed: ${enumerate()
    .map((x) => x.name)
    .join(', ')}`,
);

u.cancel(); // before it fires: its target never runs, no thread is started
console.log(`[main] cancelled ${u.name}: ${u.cancelled()}`);

await t.join(); // waits until it fired and its target ended
await u.join(); // a cancelled timer: returns at once
console.log(`[main] done; live threads: ${enumerate().length}`);
