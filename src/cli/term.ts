/**
 * Terminal output: colors (stdout only when it is a TTY and NO_COLOR is unset),
 * aligned tables, and a small progress line on stderr.
 *
 * The progress line is drawn only when stderr is a TTY and the command is not
 * in --json mode; otherwise every method is a no-op, so callers never check.
 */

const useColor = (stream: NodeJS.WriteStream): boolean =>
  Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';

/** ANSI styles for one stream; identity functions when that stream gets no color. */
export function styles(stream: NodeJS.WriteStream = process.stdout) {
  const on = useColor(stream);
  const wrap = (a: number, b: number) => (s: string) => (on ? `\x1b[${a}m${s}\x1b[${b}m` : s);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string): number => s.replace(ANSI, '').length;

/** Formats rows as an aligned table; `align` says which columns are right-aligned ('r'). */
export function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const cell = (s: string, i: number) => {
    const pad = ' '.repeat(widths[i]! - visible(s));
    return align[i] === 'r' ? pad + s : s + pad;
  };
  const line = (r: string[]) => '  ' + r.map(cell).join('   ').trimEnd();
  const rule = '  ' + widths.map((w) => '─'.repeat(w)).join('   ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A one-line progress indicator on stderr (TTY only). */
export class Progress {
  private label = '';
  private total = 0;
  private done = 0;
  private extra = '';
  private last = 0;
  private started = 0;
  private readonly s = styles(process.stderr);
  private readonly frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly enabled: boolean) {}

  /** Starts a phase; `total` 0 means unknown (a counter instead of a bar). */
  start(label: string, total = 0): void {
    if (!this.enabled) return;
    this.label = label;
    this.total = total;
    this.done = 0;
    this.extra = '';
    this.started = performance.now();
    this.timer ??= setInterval(() => this.draw(true), 100).unref();
    this.draw(true);
  }

  /** Counts `n` more items done; `extra` is shown after the counter. */
  tick(n = 1, extra?: string): void {
    if (!this.enabled) return;
    this.done += n;
    if (extra !== undefined) this.extra = extra;
    this.draw(false);
  }

  /** Sets the done count and total at once (for byte-based progress). */
  set(done: number, total: number, extra?: string): void {
    if (!this.enabled) return;
    this.done = done;
    this.total = total;
    if (extra !== undefined) this.extra = extra;
    this.draw(false);
  }

  /** Clears the line (call before printing anything else on stderr). */
  clear(): void {
    if (!this.enabled) return;
    process.stderr.write('\r\x1b[2K');
  }

  /** Ends the phase: clears the line and stops the ticker. */
  stop(): void {
    if (!this.enabled) return;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.clear();
  }

  private draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.last < 50) return;
    this.last = now;
    const cols = process.stderr.columns || 80;
    const secs = ((now - this.started) / 1000).toFixed(1) + 's';
    const spin = this.s.cyan(this.frames[this.frame++ % this.frames.length]!);
    let mid: string;
    if (this.total > 0) {
      const w = Math.max(10, Math.min(30, cols - 60));
      const frac = Math.min(1, this.done / this.total);
      const full = Math.round(frac * w);
      mid = `▕${this.s.cyan('█'.repeat(full))}${this.s.dim('░'.repeat(w - full))}▏ ${String(Math.round(frac * 100)).padStart(3)}%`;
    } else {
      mid = `${this.done.toLocaleString('en-US')}`;
    }
    const line = ` ${spin} ${this.label} ${mid} ${this.s.dim(secs)}${this.extra ? ' ' + this.extra : ''}`;
    process.stderr.write('\r\x1b[2K' + line);
  }
}

/** Seconds with a precision that suits them. */
export function fmtSeconds(s: number): string {
  return s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3);
}
