import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { weft, ROOT } from './_cli.js';

const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };

describe('weft: help, version, mistakes', { timeout: 120_000 }, () => {
  it('--help lists the commands', async () => {
    const r = await weft(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['demo', 'map', 'bench']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
    assert.equal(r.stderr, '');
  });

  it('no arguments prints the help', async () => {
    const r = await weft([]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: weft <command>/);
  });

  it('--version and -v print the version from package.json', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await weft([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim(), pkg.version);
    }
  });

  it("COMMAND --help and help COMMAND show that command's usage", async () => {
    for (const [cmd, usage] of [
      ['demo', /weft demo \[io\|cpu\|race\|all\]/],
      ['map', /weft map MODULE\[#export\]/],
      ['bench', /weft bench \[--json\]/],
    ] as const) {
      const a = await weft([cmd, '--help']);
      assert.equal(a.code, 0);
      assert.match(a.stdout, usage);
      const b = await weft(['help', cmd]);
      assert.equal(b.stdout, a.stdout);
    }
  });

  it('an unknown command is an error with a hint, exit code 2', async () => {
    const r = await weft(['dmeo']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown command 'dmeo'/);
    assert.match(r.stderr, /did you mean 'demo'\?/);
    const far = await weft(['frobnicate']);
    assert.equal(far.code, 2);
    assert.doesNotMatch(far.stderr, /did you mean/);
  });

  it('an unknown flag is an error with a hint, exit code 2', async () => {
    const r = await weft(['demo', '--quik']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--quik'/);
    assert.match(r.stderr, /did you mean '--quick'\?/);
    const g = await weft(['--verison']);
    assert.equal(g.code, 2);
    assert.match(g.stderr, /did you mean '--version'\?/);
  });

  it('an unknown workload or backend is an error with a hint', async () => {
    const w = await weft(['demo', 'rase']);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /did you mean 'race'\?/);
    const b = await weft(['map', 'x.mjs', '--backend', 'thread']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /did you mean 'threads'\?/);
  });
});
