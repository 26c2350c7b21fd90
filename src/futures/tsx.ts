/**
 * Finding tsx, so worker threads can load TypeScript task modules.
 *
 * On Node 20, tsx's loader hooks do not reach worker threads, and inheriting
 * the parent's `--import tsx` does not help (threads drop it: exec-argv.ts).
 * A worker compiles a task module once with the esbuild next to tsx
 * (workers/loader.ts) and, if that fails, registers tsx's ESM API itself. We
 * find that API next to the tsx the parent runs under. Node 22.18+/24 strip
 * types natively and need it only for what they cannot strip.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtin } from '../core/builtin.js';

let cached: string | undefined | null = null;

/** file URL of tsx's ESM API when this process runs under tsx, else undefined. */
export function tsxApiUrl(): string | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (!flags.some((f) => /tsx/.test(f))) return cached;
  const candidates: string[] = [];
  for (const f of flags) {
    const m = /^(?:file:\/\/)?(.*[\\/]node_modules[\\/]tsx)[\\/]/.exec(f);
    if (m) candidates.push(decodeURIComponent(m[1]!));
  }
  for (const base of [process.cwd(), ...(process.argv[1] ? [dirname(process.argv[1])] : [])]) {
    try {
      candidates.push(dirname(createRequire(join(base, 'noop.js')).resolve('tsx/package.json')));
    } catch {
      /* not resolvable from there */
    }
  }
  for (const dir of candidates) {
    const api = join(dir, 'dist', 'esm', 'api', 'index.mjs');
    if (builtin<typeof import('node:fs')>('node:fs').existsSync(api)) return (cached = pathToFileURL(api).href);
  }
  return cached;
}
