import { createSubprocessExec, createTask, sleep, run, timeout } from 'weft/asyncio';
await run(async () => {
const p = await createSubprocessExec(process.execPath, ['-e', 'process.stdin.pipe(process.stdout); console.error("err")'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
const r = await p.communicate('hello');
console.log(new TextDecoder().decode(r.stdout), new TextDecoder().decode(r.stderr).trim(), p.returncode);
const q = await createSubprocessExec(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { killGrace: 200 });
const t0 = Date.now();
await timeout(100, () => q.wait()).catch((e) => console.log(e.name, Date.now() - t0));
await sleep(300);
console.log('q returncode', q.returncode, Date.now() - t0);
const bad = await createSubprocessExec('/no/such/prog').catch((e) => e.code);
console.log(bad);
}, { handleSignals: false });
