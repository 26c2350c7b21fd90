// A raw BullMQ worker process for bench/cluster.bench.ts: the anchor (processor x => x, on its own loop).
import { Worker } from 'bullmq';

const [port, queue] = process.argv.slice(2);
const worker = new Worker(queue, async (job) => job.data.x, {
  connection: { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null },
  concurrency: 1,
  removeOnComplete: { age: 600 },
});
await worker.waitUntilReady();
console.log('ready');
process.on('SIGTERM', () => worker.close().then(() => process.exit(0)));
