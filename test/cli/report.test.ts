import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { weft } from './_cli.js';

const run = promisify(execFile);

/** A headless Chromium, if one is installed (.ci/run installs one). */
function findChromium(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean).concat(['/usr/bin', '/snap/bin']);
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    for (const d of dirs) if (existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

describe('weft demo --report: the HTML timelines render in a browser', { timeout: 120_000 }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-report-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one self-contained page and Chromium draws a lane per worker and a bar per task', async (t) => {
    const file = join(dir, 'report.html');
    const r = await weft(['demo', 'race', '--quick', '--json', '--report', file], { timeout: 100_000 });
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(file, 'utf8');
    assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=["']?https?:/i, 'nothing from the network');
    const data = JSON.parse(r.stdout) as { workloads: { runs: unknown[] }[] };

    const chromium = findChromium();
    if (!chromium) {
      t.skip('chromium is not installed (apt-get install -y chromium; .ci/run installs it when it can)');
      return;
    }
    const profile = join(dir, 'profile');
    const { stdout: dom } = await run(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=5000',
        '--dump-dom',
        `file://${file}`,
      ],
      { timeout: 60_000, maxBuffer: 64 << 20 },
    );
    const rendered = /<body[^>]*data-rendered="(\d+)"/.exec(dom);
    assert.ok(rendered, 'the page script ran');
    const bars = (dom.match(/<rect [^>]*class="bar"/g) ?? []).length;
    const lanes = (dom.match(/<g [^>]*class="lane"/g) ?? []).length;
    const timelines = (dom.match(/class="timeline"/g) ?? []).length;
    assert.equal(timelines, data.workloads[0]!.runs.length, 'one timeline per run');
    assert.equal(Number(rendered[1]), bars);
    // race: sequential (1 lane, 2 bars), 2 asyncio runs (1 lane, 2 bars each), 3 thread runs (2 lanes, 2 bars each)
    assert.ok(lanes >= 9, `lanes: ${lanes}`);
    assert.ok(bars >= 12, `bars: ${bars}`);
    assert.match(dom, /data-lane="thread \d+"/);
    assert.match(dom, /data-lane="main"/);
  });
});
