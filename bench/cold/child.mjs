// One cold start, in a fresh process (bench/cold.bench.ts runs it 7+ times per row).
//   node child.mjs SCENARIO [mjs|ts] [MS]   (MS: each task keeps the CPU busy that long; default 0)
// Prints one JSON line; every time is in ms since this process started (performance.now()).
//   import: when the library was imported; first / first4: when the first and
//   the 4th result arrived; end: after the pool was shut down; cpu: CPU time
//   (user + system, every thread of the process) used until the 4th result, which
//   a loaded machine inflates far less than the elapsed times.
// Scenarios: threads:raw (4 bare `new Worker`s posting one message: the floor),
// threads:piscina, threads:tinypool, threads:weft; processes:raw (4 bare forks),
// processes:weft; import:<specifier> (only the import).
import { Worker } from 'node:worker_threads';
import { fork } from 'node:child_process';

const [scenario, ext = 'mjs', busy = '0'] = process.argv.slice(2);
const ms = Number(busy);
const here = (f) => new URL(f, import.meta.url);
const N = 4;
const out = { import: 0, first: 0, first4: 0, end: 0, cpu: 0 };
const now = () => performance.now();

/** Runs N tasks at once; records when the first and the last result came. */
async function firstN(submit) {
  let done = 0;
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      Promise.resolve(submit(i)).then(() => {
        if (++done === 1) out.first = now();
      }),
    ),
  );
  out.first4 = now();
  const u = process.cpuUsage();
  out.cpu = (u.user + u.system) / 1000;
}

switch (scenario) {
  case 'threads:raw': {
    const workers = [];
    await firstN(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(here('./raw-worker.mjs'));
          workers.push(w);
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );
    await Promise.all(workers.map((w) => w.terminate()));
    break;
  }
  case 'processes:raw': {
    const children = [];
    await firstN(
      () =>
        new Promise((resolve, reject) => {
          const c = fork(here('./raw-child.mjs'), { stdio: 'inherit' });
          children.push(c);
          c.once('message', resolve);
          c.once('error', reject);
        }),
    );
    for (const c of children) c.kill();
    break;
  }
  case 'threads:piscina': {
    const { Piscina } = await import('piscina');
    out.import = now();
    const pool = new Piscina({ filename: here('./plain-task.mjs').href, maxThreads: N });
    await firstN((x) => pool.run({ x, ms }));
    await pool.destroy();
    break;
  }
  case 'threads:tinypool': {
    const { Tinypool } = await import('tinypool');
    out.import = now();
    const pool = new Tinypool({ filename: here('./plain-task.mjs').href, maxThreads: N });
    await firstN((x) => pool.run({ x, ms }));
    await pool.destroy();
    break;
  }
  case 'threads:weft':
  case 'processes:weft': {
    const weft = await import('weft');
    const tasks = (await import(`./tasks.${ext}`)).default;
    out.import = now();
    const Pool = scenario === 'threads:weft' ? weft.ThreadPoolExecutor : weft.ProcessPoolExecutor;
    const pool = new Pool({ maxWorkers: N });
    await firstN((x) => pool.submit(tasks.work, x, ms));
    await pool.shutdown();
    break;
  }
  default: {
    if (!scenario?.startsWith('import:')) throw new Error(`unknown scenario ${scenario}`);
    const t0 = now();
    await import(scenario.slice('import:'.length));
    out.import = now() - t0; // here: how long the import took
  }
}
out.end = now();
console.log(JSON.stringify(out));
