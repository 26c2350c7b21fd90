/**
 * `weft cluster status --connection URL [--queue NAME] [--json]`: the live
 * worker nodes of a ClusterExecutor's queue and its depths.
 */
import { parse, UsageError, closest } from './args.js';
import { styles, table } from './term.js';

export const CLUSTER_HELP = `Usage: weft cluster status --connection URL [--queue NAME] [--json]

Shows the live worker nodes of a queue (weft worker) and how many tasks wait,
run, and recently completed or failed.

Options:
  --connection URL   Redis: redis://[user:password@]host[:port][/db] (rediss:// for TLS)
  --queue NAME       the queue (default: weft)
  --json             print the status as JSON
  -h, --help         show this help
`;

/** Entry of `weft cluster`. Returns the exit code. */
export async function cluster(argv: string[]): Promise<number> {
  const { values, positionals } = parse('cluster', argv, {
    connection: { type: 'string' },
    queue: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(CLUSTER_HELP);
    return 0;
  }
  const sub = positionals[0];
  if (sub !== 'status') {
    const hint = sub === undefined ? undefined : closest(sub, ['status']);
    throw new UsageError(
      sub === undefined
        ? "weft cluster needs a subcommand: 'status'"
        : `unknown subcommand '${sub}'` + (hint ? `; did you mean '${hint}'?` : ''),
      'cluster',
    );
  }
  if (positionals.length > 1)
    throw new UsageError(`weft cluster status takes no arguments, got '${positionals.slice(1).join(' ')}'`, 'cluster');
  if (values.connection === undefined) throw new UsageError('weft cluster status needs --connection redis://HOST:PORT', 'cluster');
  const { clusterStatus } = await import('../cluster/status.js');
  let st: Awaited<ReturnType<typeof clusterStatus>>;
  try {
    st = await clusterStatus({ connection: values.connection, queue: values.queue });
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(err.message, 'cluster');
    throw err;
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(st, null, 2) + '\n');
    return 0;
  }
  const s = styles(process.stdout);
  const c = st.counts;
  process.stdout.write(`${s.bold(`queue '${st.queue}'`)} on ${st.address}\n`);
  process.stdout.write(
    `  waiting ${c.waiting ?? 0} · active ${c.active ?? 0} · delayed ${(c.delayed ?? 0) + (c.prioritized ?? 0)} · ` +
      `completed ${c.completed ?? 0} · failed ${c.failed ?? 0}\n\n`,
  );
  if (st.nodes.length === 0) {
    process.stdout.write(`${s.dim('no live worker node: start one with weft worker --connection URL ./tasks.js')}\n`);
    return 0;
  }
  const now = Date.now();
  const rows = st.nodes.map((n) => [
    n.id,
    n.host,
    String(n.pid),
    `${n.workers} ${n.backend}`,
    `${n.busy}/${n.concurrency}`,
    String(n.tasks.length),
    n.version,
    `${Math.round((now - n.since) / 1000)} s${n.draining ? ' (draining)' : ''}`,
  ]);
  process.stdout.write(
    table(['node', 'host', 'pid', 'workers', 'busy', 'tasks', 'weft', 'up'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'l', 'r']) + '\n',
  );
  process.stdout.write(`${st.nodes.length} live node${st.nodes.length === 1 ? '' : 's'}\n`);
  return 0;
}
