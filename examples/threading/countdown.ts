// The seeds' first threading program: a countdown running in its own thread
// while the main thread goes on.
//
//   Python                                      weft
//   t1 = threading.Thread(target=countdown,     const t1 = new Thread(tasks.countdown,
//                         args=(10,))             { args: [5, 200] });
//   t1.start()                                  t1.start();
//   t1.join()                                   await t1.join();
//
// Run: npx tsx examples/threading/countdown.ts
import { Thread, currentThread } from 'weft/threading';
import tasks from './tasks.js';

const t1 = new Thread(tasks.countdown, { args: [5, 200], name: 'countdown' });
t1.start();
console.log(`[${currentThread().name}] started ${t1.name}; the main thread is still free`);
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 250));
  console.log(`[${currentThread().name}] doing other work while it counts`);
}
console.log(`[${currentThread().name}] join ->`, await t1.join());
