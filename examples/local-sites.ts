/**
 * A stand-in for the slow web sites of the seeds' crawler: an HTTP server on
 * 127.0.0.1 (a free port) that answers every page after a fixed delay.
 * Used by the examples so they run offline.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalSites {
  urls(count: number): string[];
  close(): Promise<void>;
  server: Server;
}

export async function startLocalSites(delayMs = 50): Promise<LocalSites> {
  const pages = ['jython', 'wikipedia', 'dice'].map((name) => `<html><body><h1>${name}</h1>${'lorem ipsum '.repeat(400)}</body></html>`);
  const server = createServer((req, res) => {
    const page = pages[Number(/\d+/.exec(req.url ?? '')?.[0] ?? 0) % pages.length]!;
    setTimeout(() => res.end(page), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    urls: (count) => Array.from({ length: count }, (_, i) => `http://127.0.0.1:${port}/site/${i % 3}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
