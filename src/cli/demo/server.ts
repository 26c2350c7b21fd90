/**
 * The slow web sites of `weft demo io`: an HTTP server on 127.0.0.1, on a free
 * port, that answers every page after a fixed delay (the network and the
 * remote server, played locally so the demo needs no Internet and measures
 * the same thing every time).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The sites of the seeds' crawler, served here. */
const SITES = ['/www.jython.org', '/olympus.realpython.org/dice'];

export interface SlowServer {
  base: string;
  urls(n: number): string[];
  served(): number;
  close(): Promise<void>;
}

/** Starts the server; every response waits `delayMs` and carries a ~10 kB page. */
export async function startSlowServer(delayMs: number): Promise<SlowServer> {
  const page = Buffer.from(`<!doctype html><title>weft demo</title><pre>${'All work and no play. '.repeat(460)}</pre>\n`);
  let served = 0;
  const server: Server = createServer((req, res) => {
    const timer = setTimeout(() => {
      served++;
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': page.length });
      res.end(page);
    }, delayMs);
    req.on('close', () => {
      if (!res.writableEnded) clearTimeout(timer);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    // The seeds' list: the sites repeated (`sites = [...] * 80`).
    urls: (n) => Array.from({ length: n }, (_, i) => `${base}${SITES[i % SITES.length]}?page=${i}`),
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
