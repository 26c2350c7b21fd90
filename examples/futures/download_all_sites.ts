/**
 * The seeds' I/O-bound crawler: download 160 pages one by one, then with a
 * pool of 5 worker threads (Python: ThreadPoolExecutor(max_workers=5) + map).
 *
 *   npx tsx examples/futures/download_all_sites.ts
 */
import { ThreadPoolExecutor } from 'weft';
import tasks from './tasks.ts';
import { startLocalSites } from '../local-sites.ts';

const sites = await startLocalSites(50);
const urls = sites.urls(160);

let start = performance.now();
for (const url of urls) await tasks.downloadSite(url);
console.log(`Sequential: downloaded ${urls.length} sites in ${((performance.now() - start) / 1000).toFixed(2)} seconds`);

start = performance.now();
{
  await using executor = new ThreadPoolExecutor({ maxWorkers: 5 });
  const sizes = await executor.map(tasks.downloadSite, urls);
  const bytes = sizes.reduce((a, b) => a + b, 0);
  console.log(`5 threads:  downloaded ${urls.length} sites (${bytes} bytes) in ${((performance.now() - start) / 1000).toFixed(2)} seconds`);
}
await sites.close();
