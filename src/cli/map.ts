/**
 * `weft map MODULE[#export] [FILE|-]`: JSON lines in, JSON lines out, one call
 * of the export per line, in parallel.
 *
 *   readline (lazy) ─> parse ─> executor.map(callLine, ..., bounded) ─> stdout (with backpressure)
 *                        │ bad JSON                  │ [line, 0, error]
 *                        └──────────> stderr "line N: ..." <┘
 *
 * Input is read only as fast as results are written (map's `buffersize` and
 * stdout's backpressure), so memory stays flat on an endless input. Each line
 * runs through the `callLine` task (tasks/map-call.ts), which calls the user's
 * function and catches its error per line: a failing line fails alone, and map
 * can still send many lines per message.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { once } from 'node:events';
import { parse, positiveInt, UsageError, closest } from './args.js';
import { ThreadPoolExecutor, ProcessPoolExecutor, AsyncExecutor, cpuCount, type Executor } from './api.js';
import mapCall, { pick, setTargetFunction, type MapItem, type MapReply } from './tasks/map-call.js';
import { Progress, styles } from './term.js';

export const MAP_HELP = `Usage: weft map MODULE[#export] [FILE|-] [options]

Calls a function on every line of JSON Lines input, in parallel, and writes one
JSON line per result to stdout (in input order unless --unordered).

  MODULE      path of an ES module (.js/.mjs), or a file: URL
  #export     the function to call: a named export, or a task of the module's
              defineTasks table (default: the default export)
  FILE | -    the input (default: stdin); blank lines are skipped

A line that is not valid JSON, or whose call throws, is reported on stderr with
its line number and the others go on; the exit code is then 1. With
--errors inline, such a line gets {"error": {...}} in its place on stdout
instead, so the output keeps one line per (non-blank) input line.

Options:
  --backend threads|processes|async   where the calls run (default: threads)
  --workers N                         threads or processes (default: CPU count),
                                      or calls at once for async (default: 64)
  --unordered                         write results as they finish
  --chunksize N                       lines per message to a worker (default: auto)
  --errors stderr|inline              where a failing line is reported (default: stderr)
  --fail-fast                         stop at the first failing line
  -h, --help                          show this help

Examples:
  seq 1 10 | weft map ./square.mjs
  weft map ./tasks.js#resize images.jsonl --backend processes --workers 4 > out.jsonl
`;

const BACKENDS = ['threads', 'processes', 'async'] as const;
type Backend = (typeof BACKENDS)[number];

/** Resolves MODULE[#export] to a URL and an export name. */
function target(spec: string): { url: string; name: string; shown: string } {
  const hash = spec.lastIndexOf('#');
  const mod = hash > 0 ? spec.slice(0, hash) : spec;
  const name = hash > 0 ? spec.slice(hash + 1) : 'default';
  if (name === '') throw new UsageError(`'${spec}': nothing after '#'; write MODULE#exportName`, 'map');
  if (/^file:/i.test(mod)) return { url: mod, name, shown: mod };
  const file = resolvePath(mod);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`module not found: ${mod} (looked for ${file})`, 'map');
  return { url: pathToFileURL(file).href, name, shown: mod };
}

/** Entry of `weft map`. Returns the exit code. */
export async function map(argv: string[]): Promise<number> {
  const { values, positionals } = parse('map', argv, {
    backend: { type: 'string' },
    workers: { type: 'string' },
    unordered: { type: 'boolean' },
    chunksize: { type: 'string' },
    'fail-fast': { type: 'boolean' },
    errors: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(MAP_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('missing MODULE: weft map MODULE[#export] [FILE|-]', 'map');
  if (positionals.length > 2) throw new UsageError(`too many arguments: ${positionals.slice(2).join(' ')}`, 'map');
  const backend = (values.backend ?? 'threads') as Backend;
  if (!BACKENDS.includes(backend)) {
    const hint = closest(backend, BACKENDS);
    throw new UsageError(
      `--backend must be threads, processes or async, got '${backend}'` + (hint ? `; did you mean '${hint}'?` : ''),
      'map',
    );
  }
  const errorsTo = values.errors ?? 'stderr';
  if (errorsTo !== 'stderr' && errorsTo !== 'inline') {
    const hint = closest(errorsTo, ['stderr', 'inline']);
    throw new UsageError(`--errors must be stderr or inline, got '${errorsTo}'` + (hint ? `; did you mean '${hint}'?` : ''), 'map');
  }
  const inlineErrors = errorsTo === 'inline';
  const workers = positiveInt('map', 'workers', values.workers);
  const chunksize = positiveInt('map', 'chunksize', values.chunksize);
  const failFast = values['fail-fast'] ?? false;
  const input = positionals[1] ?? '-';
  if (input !== '-' && !existsSync(input)) throw new UsageError(`input file not found: ${input}`, 'map');

  // Check the module and the export here, before anything runs.
  const t = target(positionals[0]!);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(t.url)) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`cannot import ${t.shown}: ${(err as Error).message.split('\n')[0]}`, 'map');
  }
  const fn = pick(mod, t.name);
  if (fn === undefined) {
    const fns = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    const table = mod.default !== null && typeof mod.default === 'object' ? Object.keys(mod.default as object) : [];
    const all = [...fns, ...table];
    const hint = closest(t.name, all);
    throw new UsageError(
      `${t.shown} has no function ${t.name === 'default' ? 'as its default export' : `export named '${t.name}'`}` +
        (all.length ? ` (functions: ${all.join(', ')})` : '') +
        (hint ? `; did you mean '#${hint}'?` : ''),
      'map',
    );
  }

  // Worker threads on Node < 22.18 cannot import TypeScript by themselves, and weft registers
  // tsx in a worker only for .ts *task* modules, not for modules those import (ours imports yours).
  const stripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
  if (backend === 'threads' && /\.(?:[mc]?ts|tsx)$/.test(t.url) && !stripsTypes) {
    throw new UsageError(
      `${t.shown} is TypeScript: with --backend threads that needs Node 22.18+ (type stripping); ` +
        `on Node ${process.versions.node} use --backend processes or async under tsx (node --import tsx $(which weft) map ...), or compile it to JavaScript`,
      'map',
    );
  }

  let ex: Executor;
  if (backend === 'async') {
    setTargetFunction(fn);
    ex = new AsyncExecutor({ maxConcurrency: workers ?? 64 });
  } else if (backend === 'threads') {
    ex = new ThreadPoolExecutor({ maxWorkers: workers ?? cpuCount(), initializer: mapCall.setTarget, initargs: [t.url, t.name] });
  } else {
    ex = new ProcessPoolExecutor({ maxWorkers: workers ?? cpuCount(), initializer: mapCall.setTarget, initargs: [t.url, t.name] });
  }

  const err = styles(process.stderr);
  const progress = new Progress(Boolean(process.stderr.isTTY));
  let failed = 0,
    done = 0,
    ok = 0,
    stop = false;
  const report = (line: number, what: string) => {
    failed++;
    if (!inlineErrors) {
      progress.clear();
      process.stderr.write(`${err.red(`line ${line}:`)} ${what}\n`);
    }
    if (failFast) stop = true;
  };

  // Input: read lazily, one parsed line at a time.
  const stream = input === '-' ? process.stdin : createReadStream(input);
  const size = input === '-' ? 0 : statSync(input).size;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  async function* items(): AsyncGenerator<MapItem> {
    let n = 0;
    for await (const text of rl) {
      n++;
      if (stop) break;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        if (inlineErrors) {
          // Answered in its place (by the task), so the output stays aligned.
          yield [n, undefined, (e as Error).message];
          continue;
        }
        report(n, `not valid JSON: ${(e as Error).message}`);
        if (stop) break;
        continue;
      }
      yield [n, value];
    }
  }

  const out = process.stdout;
  const started = performance.now();
  progress.start('map', 0);
  const par = backend === 'async' ? (workers ?? 64) : (workers ?? cpuCount());
  const run = ex.map(mapCall.callLine, items(), {
    ordered: !(values.unordered ?? false),
    chunksize: chunksize ?? 'auto',
    buffersize: Math.max(1024, par * 256),
  });
  try {
    for await (const reply of run as AsyncIterable<MapReply>) {
      if (reply[1] === 1) {
        let json: string | undefined;
        try {
          json = JSON.stringify(reply[2]) ?? 'null';
        } catch (e) {
          report(reply[0], `result is not JSON: ${(e as Error).message}`);
        }
        if (json !== undefined) {
          ok++;
          if (!out.write(json + '\n')) await once(out, 'drain');
        }
      } else {
        const e = reply[2];
        report(reply[0], `${e.name}: ${e.message}`);
        if (inlineErrors) {
          const line = JSON.stringify({ error: { line: reply[0], name: e.name, message: e.message } });
          if (!out.write(line + '\n')) await once(out, 'drain');
        }
      }
      done++;
      if (progress.enabled) {
        const rate = done / ((performance.now() - started) / 1000);
        const extra = `${Math.round(rate).toLocaleString('en-US')} lines/s${failed ? err.red(` · ${failed} failed`) : ''}`;
        if (size > 0)
          progress.set((stream as ReturnType<typeof createReadStream>).bytesRead, size, `${done.toLocaleString('en-US')} lines · ${extra}`);
        else progress.tick(1, `lines · ${extra}`);
      }
      if (stop) break;
    }
  } finally {
    progress.stop();
    rl.close();
    if (input !== '-') (stream as ReturnType<typeof createReadStream>).destroy();
    await ex.shutdown({ cancelFutures: true });
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  if (failed > 0) {
    process.stderr.write(
      `${err.red(`weft map: ${failed} line${failed === 1 ? '' : 's'} failed`)}` +
        `${stop ? ' (stopped at the first: --fail-fast)' : ''}; ${ok} succeeded${inlineErrors ? ' (errors are inline on stdout)' : ''} in ${secs} s\n`,
    );
    return 1;
  }
  // On a terminal, a one-line summary (a pipe or file gets nothing extra).
  if (process.stderr.isTTY) process.stderr.write(`${err.dim(`weft map: ${ok.toLocaleString('en-US')} lines in ${secs} s`)}\n`);
  return 0;
}
