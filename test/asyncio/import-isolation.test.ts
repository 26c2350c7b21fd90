import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../../dist/asyncio/index.js', import.meta.url));

describe('importing weft/asyncio', { timeout: 30_000 }, () => {
  it('loads no worker_threads / child_process machinery and starts no Worker', () => {
    // The child records every module URL loaded after it starts (a loader hook), imports
    // weft/asyncio, uses it, and reports which weft modules and built-ins got loaded.
    const script = `
      import { register } from 'node:module';
      import { MessageChannel } from 'node:worker_threads';
      const { port1, port2 } = new MessageChannel();
      const seen = [];
      port1.on('message', (u) => seen.push(u));
      port1.unref();
      register('data:text/javascript,' + encodeURIComponent(\`
        let port;
        export function initialize(d) { port = d.port; }
        export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }
      \`), { data: { port: port2 }, transferList: [port2] });
      const m = await import(${JSON.stringify(entry)});
      await m.run(async () => { await m.sleep(1); await m.taskGroup(async (tg) => { tg.createTask(() => m.sleep(1)); }); }, { handleSignals: false });
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify(seen));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const seen: string[] = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const weft = seen.filter((u) => u.includes('/dist/'));
    assert.ok(
      weft.some((u) => u.endsWith('/dist/asyncio/index.js')),
      'the hook saw weft/asyncio load',
    );
    const forbidden = seen.filter((u) =>
      /worker_threads|child_process|\/dist\/(futures|workers|transport|multiprocessing|threading)\//.test(u),
    );
    assert.deepEqual(forbidden, []);
  });
});
