/**
 * Argument parsing for `weft`: Node's `util.parseArgs` (strict), plus what it
 * lacks: "did you mean ...?" hints for unknown commands and flags, and one
 * UsageError that main turns into exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Edit distance with transpositions (optimal string alignment; small strings only). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate to `word`, if one is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined,
    bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** The options of one command, in util.parseArgs form. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` against `options`; unknown flags become UsageErrors with a hint. */
export function parse<const O extends Options>(command: string, argv: string[], options: O) {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } };
  try {
    return parseArgs({ args: argv, options: all, allowPositionals: true, strict: true } as const);
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const m = /Unknown option '([^']+)'/.exec(e.message);
      const given = m?.[1] ?? '';
      const names = Object.keys(all).map((n) => `--${n}`);
      const hint = given.startsWith('--') ? closest(given.split('=')[0]!, names) : undefined;
      throw new UsageError(`unknown option '${given}' for 'weft ${command}'` + (hint ? `; did you mean '${hint}'?` : ''), command);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(e.message.replace(/^Option '([^']+)'/, "option '$1'").split('\n')[0]!, command);
    }
    throw new UsageError(e.message, command);
  }
}

/** Parses a positive integer option, or undefined when absent. */
export function positiveInt(command: string, name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} expects a positive integer, got '${v}'`, command);
  return n;
}
