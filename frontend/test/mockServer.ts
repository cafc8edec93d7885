// A tiny fixture server for the unit tests only (the e2e tests use the real `cityreach serve`):
// it answers the paths in routes with the JSON files of test/fixtures, 404 problem+json otherwise.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface Mock { origin: string; close(): Promise<void>; hits: string[] }

export async function startMock(routes: Record<string, string | { status: number; body: unknown }>): Promise<Mock> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    hits.push(u.pathname + u.search);
    const r = routes[u.pathname];
    if (typeof r === 'string') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(readFileSync(join(__dirname, 'fixtures', r)));
    } else if (r) {
      res.writeHead(r.status, { 'Content-Type': 'application/problem+json' });
      res.end(JSON.stringify(r.body));
    } else {
      res.writeHead(404, { 'Content-Type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Not Found', status: 404, detail: `no such resource: ${u.pathname}` }));
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, hits, close: () => new Promise((ok) => server.close(() => ok())) };
}
