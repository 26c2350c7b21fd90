/**
 * `weft worker --connection URL [--queue NAME] [--backend threads|processes]
 * [--workers N] [--concurrency N] [--lock-duration MS] MODULE...`: a worker node
 * of a ClusterExecutor. Loads the task modules, announces itself, takes jobs and
 * runs them in a local weft pool. SIGINT/SIGTERM: stop taking jobs, finish the
 * running ones, exit 0; a second signal puts the running ones back in the queue.
 */
import { parse, positiveInt, UsageError, closest } from './args.js';
import { styles } from './term.js';

export const WORKER_HELP = `Usage: weft worker --connection URL [options] MODULE...

A worker node of a ClusterExecutor (weft/cluster): takes tasks from a queue in
Redis and runs them in a local weft pool. Start any number of them, on any
machine that has the same project (the same task modules) deployed.

Options:
  --connection URL       Redis: redis://[user:password@]host[:port][/db] (rediss:// for TLS)
  --queue NAME           the queue to serve (default: weft)
  --backend KIND         threads (default) or processes: where the tasks run
  --workers N            threads or processes of the local pool (default: CPUs)
  --concurrency N        tasks taken at once (default: --workers)
  --lock-duration MS     a task of a node that stops answering runs again elsewhere
                         after this long (default: 10000; give clients the same lockDuration)
  --cancel-grace MS      a cancelled task that does not stop is terminated after this long (default: 1000)
  --quiet                print nothing but errors
  -h, --help             show this help

Signals: SIGINT/SIGTERM stop taking tasks, let the running ones finish and exit 0;
a second signal puts the running tasks back in the queue (another node runs them).

Example:
  npx weft worker --connection redis://10.0.0.5:6379 ./dist/tasks.js --workers 8
`;

/** Entry of `weft worker`. Resolves with the exit code once the node stopped. */
export async function worker(argv: string[]): Promise<number> {
  const { values, positionals } = parse('worker', argv, {
    connection: { type: 'string' },
    queue: { type: 'string' },
    backend: { type: 'string' },
    workers: { type: 'string' },
    concurrency: { type: 'string' },
    'lock-duration': { type: 'string' },
    'cancel-grace': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(WORKER_HELP);
    return 0;
  }
  if (values.connection === undefined) throw new UsageError('weft worker needs --connection redis://HOST:PORT', 'worker');
  if (positionals.length === 0)
    throw new UsageError('weft worker needs at least one task module (weft worker --connection URL ./tasks.js)', 'worker');
  const backend = values.backend ?? 'threads';
  if (backend !== 'threads' && backend !== 'processes') {
    const hint = closest(backend, ['threads', 'processes']);
    throw new UsageError(`--backend must be threads or processes, got '${backend}'` + (hint ? `; did you mean '${hint}'?` : ''), 'worker');
  }
  const ms = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} expects milliseconds, got '${v}'`, 'worker');
    return n;
  };
  const s = styles(process.stderr);
  const { WorkerNode } = await import('../cluster/node.js');
  let node: Awaited<ReturnType<typeof WorkerNode.start>>;
  try {
    node = await WorkerNode.start({
      connection: values.connection,
      modules: positionals,
      queue: values.queue,
      backend,
      workers: positiveInt('worker', 'workers', values.workers),
      concurrency: positiveInt('worker', 'concurrency', values.concurrency),
      lockDuration: ms('lock-duration', values['lock-duration']),
      cancelGrace: ms('cancel-grace', values['cancel-grace']),
      log: values.quiet ? undefined : (line) => process.stderr.write(`${s.dim(line)}\n`),
    });
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(err.message, 'worker');
    throw err;
  }
  // Ready: tests and scripts wait for this line on stdout.
  process.stdout.write(`ready ${node.id}\n`);
  return new Promise<number>((resolve) => {
    const onSignal = () => {
      node.drain().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
