/**
 * Cold start: BENCH.md targets T11-T13. A fresh 4-thread pool's first 4 results
 * (and a fresh 4-process pool's), in whole new processes, against piscina,
 * tinypool and 4 bare `new Worker`s in the same run; the same for TypeScript task
 * modules under tsx and under Node 26's type stripping; `import('weft')` against
 * `import('piscina')`.
 *
 *   npm --prefix bench install                   # once: the anchors
 *   npx tsx bench/cold.bench.ts [--rounds 7] [--quick] [--write] [--json FILE] [--only ID,ID]
 *
 * Node 26 is installed from npm into test/.node26 on first use (as `npm test`
 * does; WEFT_NODE26=/path/to/node to use another binary); without it the
 * Node 26 columns are empty.
 *
 * Every measurement is one new process running bench/cold/child.mjs (or
 * child.ts) in a temporary project laid out as a user's: its own package.json,
 * weft copied into node_modules (as npm installs it), the anchors linked. A round
 * runs every row once, in an order that rotates from round to round, so load on
 * the machine hits every row alike; each cell is the median over the rounds.
 * The main number is the time from the process's start to the 4th result
 * (performance.now() in the child): Node's own start-up, the import, starting
 * the pool, the first tasks. Shutting down and exiting are not counted. Beside
 * it, the CPU time the process used until then (all its threads): a loaded
 * machine stretches elapsed times several-fold but CPU time far less, so on a
 * shared machine the CPU ratios are the steadier signal.
 *
 * The caches weft uses are warm after the first round (Node's compile cache in
 * workers on Node 22.1+, the compiled copies of TypeScript task modules under
 * tsx on Node 20: see src/workers/loader.ts); the "cold caches" rows start each
 * run with empty ones (and tsx's own cache empty too: a fresh TMPDIR).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nodeBinary } from '../scripts/node-runtime.mjs';
import { writeSection } from './results.ts';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const WRITE = args.includes('--write');
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROUNDS = Number(opt('--rounds') ?? (QUICK ? 3 : 7));
const JSON_OUT = opt('--json');
/** `--only a,b`: only the rows whose id contains one of these (and piscina's, the anchor) */
const ONLY = opt('--only')?.split(',');

const repo = fileURLToPath(new URL('..', import.meta.url));
const benchDir = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);

// ── the project the children run in ─────────────────────────────────────────
const project = mkdtempSync(join(tmpdir(), 'weft-cold-'));
process.on('exit', () => rmSync(project, { recursive: true, force: true }));
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'cold', private: true, type: 'module' }));
for (const f of readdirSync(join(benchDir, 'cold'))) cpSync(join(benchDir, 'cold', f), join(project, f));
mkdirSync(join(project, 'node_modules', 'weft'), { recursive: true });
cpSync(join(repo, 'package.json'), join(project, 'node_modules', 'weft', 'package.json'));
cpSync(join(repo, 'dist'), join(project, 'node_modules', 'weft', 'dist'), { recursive: true });
for (const lib of ['piscina', 'tinypool']) {
  symlinkSync(join(benchDir, 'node_modules', lib), join(project, 'node_modules', lib), 'dir');
}
const tsx = pathToFileURL(require.resolve('tsx')).href;

const node20 = process.execPath;
const node26 = nodeBinary(26);
const nodes = { [process.versions.node.split('.')[0]!]: node20, ...(node26 ? { 26: node26 } : {}) } as Record<string, string>;
const majors = Object.keys(nodes);

// ── the rows ─────────────────────────────────────────────────────────────────
interface Row {
  id: string;
  label: string;
  major: string;
  argv: string[];
  /** every cache empty in every run (a fresh temp dir: Node's compile cache, weft's and tsx's TypeScript caches) */
  coldCaches?: boolean;
}
const rows: Row[] = [];
for (const major of majors) {
  const add = (id: string, label: string, argv: string[], extra: Partial<Row> = {}) =>
    rows.push({ id: `${id}@${major}`, label, major, argv, ...extra });
  add('threads:raw', '4 bare `new Worker`s posting one message (the floor)', ['child.mjs', 'threads:raw']);
  add('threads:piscina', 'piscina, JS task module', ['child.mjs', 'threads:piscina']);
  add('threads:tinypool', 'tinypool, JS task module', ['child.mjs', 'threads:tinypool']);
  add('threads:weft', 'weft, JS task module', ['child.mjs', 'threads:weft']);
  add('threads:weft:tsx', 'weft, TS task module, under tsx', ['--import', tsx, 'child.ts', 'threads:weft', 'ts']);
  if (Number(major) >= 23) add('threads:weft:strip', "weft, TS task module, Node's type stripping", ['child.ts', 'threads:weft', 'ts']);
  if (!QUICK) {
    add('threads:weft:cold', 'weft, JS task module, cold caches', ['child.mjs', 'threads:weft'], { coldCaches: true });
    add('threads:weft:tsx:cold', 'weft, TS under tsx, cold caches', ['--import', tsx, 'child.ts', 'threads:weft', 'ts'], {
      coldCaches: true,
    });
    if (Number(major) >= 23)
      add('threads:weft:strip:cold', 'weft, TS type stripping, cold caches', ['child.ts', 'threads:weft', 'ts'], { coldCaches: true });
  }
  add('processes:raw', '4 bare `fork()`s sending one message (the floor)', ['child.mjs', 'processes:raw']);
  add('processes:weft', 'weft ProcessPoolExecutor, JS task module', ['child.mjs', 'processes:weft']);
  add('import:weft', "import('weft')", ['child.mjs', 'import:weft']);
  add('import:weft/asyncio', "import('weft/asyncio')", ['child.mjs', 'import:weft/asyncio']);
  add('import:piscina', "import('piscina')", ['child.mjs', 'import:piscina']);
  add('import:tinypool', "import('tinypool')", ['child.mjs', 'import:tinypool']);
}
if (ONLY) {
  const keep = (id: string) => id.startsWith('threads:piscina@') || id.startsWith('import:piscina@') || ONLY.some((o) => id.includes(o));
  rows.splice(0, rows.length, ...rows.filter((r) => keep(r.id)));
}

interface Sample {
  import: number;
  first: number;
  first4: number;
  end: number;
  /** CPU time (ms, all threads of the process) until the 4th result */
  cpu: number;
  wall: number;
}

function runOnce(row: Row): Sample {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_COMPILE_CACHE;
  let cacheDir: string | undefined;
  if (row.coldCaches) {
    // Every cache empty, as on a machine's first run: Node's compile cache, weft's
    // compiled TypeScript copies and tsx's own cache (both under the temp dir). The
    // warm rows' caches are left alone (touching the task module instead made the
    // next warm run rebuild its copy, inside the measurement).
    cacheDir = mkdtempSync(join(tmpdir(), 'weft-cold-cc-'));
    env.NODE_COMPILE_CACHE = join(cacheDir, 'node');
    env.TMPDIR = cacheDir;
  }
  const t0 = performance.now();
  const r = spawnSync(nodes[row.major]!, row.argv, { cwd: project, env, encoding: 'utf8', timeout: 60_000 });
  const wall = performance.now() - t0;
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    throw new Error(`${row.id} failed (exit ${r.status} ${r.signal ?? ''}):\n${r.stderr}\n${r.stdout}`);
  }
  return { ...(JSON.parse(line) as Omit<Sample, 'wall'>), wall };
}

// ── run ──────────────────────────────────────────────────────────────────────
const samples = new Map<string, Sample[]>(rows.map((r) => [r.id, []]));
const started = performance.now();
// The machine's load before the runs (at the end it is the bench's own).
const loadBefore = loadavg()[0]!;
// One warm-up run of each row (fills the OS file cache and weft's caches), not counted.
for (const row of rows) runOnce(row);
for (let round = 0; round < ROUNDS; round++) {
  const shift = (round * 7) % rows.length;
  const order = [...rows.slice(shift), ...rows.slice(0, shift)];
  for (const row of order) samples.get(row.id)!.push(runOnce(row));
  process.stderr.write(`\rround ${round + 1}/${ROUNDS}`);
}
process.stderr.write('\n');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const med = (id: string, k: keyof Sample) => {
  const s = samples.get(id);
  return s?.length ? median(s.map((x) => x[k])) : NaN;
};
const range = (id: string, k: keyof Sample) => {
  const s = samples.get(id)!.map((x) => x[k]);
  return `${Math.round(Math.min(...s))}-${Math.round(Math.max(...s))}`;
};
const ms = (v: number) => (Number.isNaN(v) ? '' : v < 100 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const ratio = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? '' : `${(a / b).toFixed(2)}x`);

// ── report ───────────────────────────────────────────────────────────────────
const labels = [...new Map(rows.map((r) => [r.id.slice(0, r.id.lastIndexOf('@')), r.label])).entries()];
const startRows = labels.filter(([id]) => !id.startsWith('import:'));
const head = [
  'cold start: first 4 results, from process start',
  ...majors.flatMap((m) => [`Node ${m}`, 'vs piscina JS', `CPU ms (Node ${m})`, 'vs piscina']),
];
const lines: string[] = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
for (const [id, label] of startRows) {
  const cells = majors.flatMap((m) => {
    const key = `${id}@${m}`;
    if (!samples.has(key)) return ['', '', '', ''];
    const thread = !id.startsWith('processes:');
    const pis = `threads:piscina@${m}`;
    return [
      `${ms(med(key, 'first4'))} (${range(key, 'first4')})`,
      thread ? ratio(med(key, 'first4'), med(pis, 'first4')) : '',
      `${Math.round(med(key, 'cpu'))}`,
      thread ? ratio(med(key, 'cpu'), med(pis, 'cpu')) : '',
    ];
  });
  lines.push(`| ${label} | ${cells.join(' | ')} |`);
}
const importHead = ['import, in process', ...majors.flatMap((m) => [`Node ${m}`, "vs import('piscina')"])];
lines.push('', `| ${importHead.join(' | ')} |`, `| ${importHead.map(() => '---').join(' | ')} |`);
for (const [id, label] of labels.filter(([id]) => id.startsWith('import:'))) {
  const cells = majors.flatMap((m) => {
    const key = `${id}@${m}`;
    return [ms(med(key, 'import')), ratio(med(key, 'import'), med(`import:piscina@${m}`, 'import'))];
  });
  lines.push(`| ${label} | ${cells.join(' | ')} |`);
}

// Where weft's time goes (medians): import, start to first result, first to 4th.
const phases = [
  '',
  '| weft, phases (median) | Node | import done | 1st result | 4th result | process exit (wall) |',
  '| --- | --- | --- | --- | --- | --- |',
];
for (const [id, label] of startRows.filter(([id]) => id.includes(':weft'))) {
  for (const m of majors) {
    const key = `${id}@${m}`;
    if (!samples.has(key)) continue;
    phases.push(
      `| ${label} | ${m} | ${ms(med(key, 'import'))} | ${ms(med(key, 'first'))} | ${ms(med(key, 'first4'))} | ${ms(med(key, 'wall'))} |`,
    );
  }
}
lines.push(...phases);

// Targets.
const verdicts: string[] = [];
const target = (name: string, value: number, limit: number, what: string) => {
  if (Number.isNaN(value)) return;
  verdicts.push(`- ${name}: ${what} ${value.toFixed(2)}x (target <= ${limit}x): ${value <= limit ? 'PASS' : 'MISS'}`);
};
for (const m of majors) {
  const pis = med(`threads:piscina@${m}`, 'first4');
  target(`T11 (Node ${m})`, med(`threads:weft@${m}`, 'first4') / pis, 1.2, 'weft JS / piscina JS');
  target(`T12 tsx (Node ${m})`, med(`threads:weft:tsx@${m}`, 'first4') / pis, 2, 'weft TS under tsx / piscina JS');
  target(`T12 type stripping (Node ${m})`, med(`threads:weft:strip@${m}`, 'first4') / pis, 1.5, 'weft TS / piscina JS');
  target(
    `T13 (Node ${m})`,
    med(`import:weft@${m}`, 'import') / med(`import:piscina@${m}`, 'import'),
    1.5,
    "import('weft') / import('piscina')",
  );
}

const cpu = cpus();
const header =
  `Date ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${majors.map((m) => `Node ${m}: ${spawnSync(nodes[m]!, ['--version'], { encoding: 'utf8' }).stdout.trim()}`).join(', ')}; ` +
  `${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}, ${process.platform}/${process.arch}; load average ${loadBefore.toFixed(1)} before it started` +
  `${loadBefore > cpu.length * 0.5 ? ' (loaded machine: absolute numbers drift, ratios less)' : ''}.`;
const section = [
  '## Cold start (T11-T13)',
  '',
  header,
  `Command: \`npx tsx bench/cold.bench.ts --write${opt('--rounds') !== undefined ? ` --rounds ${ROUNDS}` : QUICK ? ' --quick' : ''}\`: ${ROUNDS} rounds, each row once per round in rotating order, every run a new process; median (min-max) over the rounds; ${Math.round((performance.now() - started) / 1000)} s.`,
  '',
  ...lines,
  '',
  ...verdicts,
  '',
].join('\n');
console.log(section);
if (WRITE) writeSection('## Cold start (T11-T13)', section, 'cold');
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(Object.fromEntries(samples), null, 1));
