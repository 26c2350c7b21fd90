// The seeds' Event coordination: threads meet at a Barrier, then wait for a "go" signal set by the main
// thread, and the main thread waits for one of them to say it is done.
//
// Run: npx tsx examples/threading/event.ts
import { Thread, Barrier, Event } from 'weft/threading';
import tasks from './tasks.js';

const go = new Event();
const done = new Event();
const ready = new Barrier(4); // 3 workers + the main thread
const workers = [1, 2, 3].map((id) => new Thread(tasks.worker, { args: [ready, go, done, id], name: `worker-${id}` }));
for (const w of workers) w.start();

await ready.wait();
console.log('[main] everyone is waiting; go!');
go.set();

await done.wait({ timeout: 10_000 });
console.log('[main] the first worker is done');
for (const w of workers) console.log('[main]', await w.join());
