#!/usr/bin/env node
/**
 * The `weft` command: `demo`, `map`, `bench`, `worker`, `cluster`, built on weft's public API.
 *
 * Exit codes: 0 success, 1 a failure while running (e.g. a line `map` could
 * not process), 2 a usage mistake (unknown command or flag, bad value).
 */
import { readFileSync } from 'node:fs';
import { UsageError, closest } from './args.js';
import { styles } from './term.js';

const COMMANDS = ['demo', 'map', 'bench', 'worker', 'cluster', 'help'] as const;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const HELP = `weft: Python's concurrency toolkit for Node.js, from the command line.

Usage: weft <command> [options]

Commands:
  demo [io|cpu|race|all]   measure the concurrency models on this machine: an I/O-bound crawl,
                           a CPU-bound image filter and a shared-counter race, each run
                           sequentially, as asyncio tasks, on threads and on processes
  map MODULE[#export]      call a function on every JSON line of a file or stdin, in parallel
  bench                    weft's own throughput, latency and scaling on this machine
  worker --connection URL MODULE...
                           a worker node of a ClusterExecutor (weft/cluster, BullMQ on Redis)
  cluster status --connection URL
                           the live worker nodes of a cluster and its queue depths

Options:
  -h, --help               show help (also: weft COMMAND --help, weft help COMMAND)
  -v, --version            show weft's version

Examples:
  weft demo --quick
  weft demo cpu --report report.html
  seq 1 100 | weft map ./tasks.js#square --workers 4
  weft bench --json
`;

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (first === '-v' || first === '--version' || first === '-V') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first.startsWith('-')) {
    const hint = closest(first, ['--help', '--version']);
    throw new UsageError(`unknown option '${first}'` + (hint ? `; did you mean '${hint}'?` : ''));
  }
  switch (first) {
    case 'demo':
      return (await import('./demo/index.js')).demo(rest, version());
    case 'map':
      return (await import('./map.js')).map(rest);
    case 'bench':
      return (await import('./bench.js')).bench(rest, version());
    case 'worker':
      return (await import('./worker.js')).worker(rest);
    case 'cluster':
      return (await import('./cluster.js')).cluster(rest);
    case 'help': {
      const topic = rest[0];
      if (topic === undefined) {
        process.stdout.write(HELP);
        return 0;
      }
      if (topic === 'help' || !(COMMANDS as readonly string[]).includes(topic)) return main([topic]);
      return main([topic, '--help']);
    }
    default: {
      const hint = closest(first, COMMANDS);
      throw new UsageError(`unknown command '${first}'` + (hint ? `; did you mean '${hint}'?` : ''));
    }
  }
}

// Once the command is done, nothing should keep the process alive; if something does
// (a stuck connection, a worker that ignores shutdown), leave anyway after a grace period.
const leave = () => setTimeout(() => process.exit(), 5000).unref();

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    leave();
  },
  (err: unknown) => {
    leave();
    const s = styles(process.stderr);
    if (err instanceof UsageError) {
      process.stderr.write(`${s.red('weft: error:')} ${err.message}\n`);
      process.stderr.write(`Run 'weft ${err.command ? `${err.command} ` : ''}--help' for usage.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `${s.red('weft: error:')} ${err instanceof Error ? (process.env.WEFT_DEBUG ? err.stack : err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
