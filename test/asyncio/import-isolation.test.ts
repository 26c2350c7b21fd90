/**
 * What importing weft's entry points loads (the built dist/, as users get it).
 *
 * dist/ is bundled (scripts/build.mjs): a loaded file may hold many modules, so
 * "which code got loaded" is read from each file's source map (the sources it
 * was built from), or from its path when it has none.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/** Imports `entry` in a new process, runs `use` (a script using `m`), returns every URL resolved. */
function loadedBy(entry: string, use = ''): string[] {
  // The child records every module URL resolved after it starts (a loader hook).
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
    const m = await import(${JSON.stringify(fileURLToPath(new URL(entry, `file://${dist}`)))});
    ${use}
    await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify(seen));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** The source files a dist file was built from (its source map), or the file itself. */
function sourcesOf(url: string): string[] {
  const file = fileURLToPath(url);
  const map = `${file}.map`;
  if (!existsSync(map)) return [file];
  const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
  return sources.map((s) => new URL(s, url).pathname);
}

const distFiles = (seen: string[]) => [...new Set(seen)].filter((u) => u.startsWith('file:') && fileURLToPath(u).startsWith(dist));

describe('importing weft/asyncio', { timeout: 30_000 }, () => {
  it('loads no worker_threads / child_process machinery and no code of the pools, threads or processes', () => {
    const seen = loadedBy(
      'asyncio/index.js',
      `await m.run(async () => { await m.sleep(1); await m.taskGroup(async (tg) => { tg.createTask(() => m.sleep(1)); }); }, { handleSignals: false });`,
    );
    const weft = distFiles(seen);
    assert.ok(
      weft.some((u) => u.endsWith('/dist/asyncio/index.js')),
      'the hook saw weft/asyncio load',
    );
    const sources = weft.flatMap(sourcesOf);
    assert.ok(
      sources.some((s) => /\/src\/asyncio\/task\.ts$/.test(s)),
      `the source maps name asyncio's sources: ${sources.join(', ')}`,
    );
    const forbidden = [
      ...seen.filter((u) => /^node:(worker_threads|child_process)$/.test(u)),
      ...sources.filter((s) => /\/(futures|workers|transport|multiprocessing|threading)\//.test(s)),
    ];
    assert.deepEqual(forbidden, []);
  });
});

describe('importing weft', { timeout: 30_000 }, () => {
  it('loads a few files, not one per module (the bundle of scripts/build.mjs)', () => {
    const weft = distFiles(loadedBy('index.js'));
    // index.js, the library chunk, the chunk it shares with weft/asyncio.
    assert.ok(weft.length <= 4, `weft loaded ${weft.length} files: ${weft.join(', ')}`);
    assert.ok(weft.flatMap(sourcesOf).length > 50, 'they hold the whole library');
  });

  it('every entry point hands out the same classes and the same module state', async () => {
    const root = await import('weft');
    const futures = await import('weft/futures');
    const asyncio = await import('weft/asyncio');
    const threading = await import('weft/threading');
    const mp = await import('weft/multiprocessing');
    assert.equal(root.Future, futures.Future);
    assert.equal(root.ThreadPoolExecutor, futures.ThreadPoolExecutor);
    assert.equal(root.CancelledError, asyncio.CancelledError);
    assert.equal(root.asyncio.Lock, asyncio.Lock);
    assert.equal(root.threading.Lock, threading.Lock);
    assert.equal(root.Process, mp.Process);
    assert.equal(root.currentSignal, (await import('weft')).currentSignal);
    // An error thrown by asyncio code is an instance of the class the root exports.
    const err = await asyncio
      .run(() => asyncio.waitFor(asyncio.sleep(1000), 0), { handleSignals: false })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof root.TimeoutError, `got ${String(err)}`);
  });
});
